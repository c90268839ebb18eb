//! A stateful local stand-in for Tencent Cloud CAR (API 2022-01-10) and the COS bucket its
//! package uploads go to: strict where the real services are strict, durable across
//! restarts, with faults on demand. `car emulator` runs it, `car --local` embeds it, and
//! tests start it in one call.

pub mod car;
pub mod clock;
pub mod cos;
pub mod grants;
pub mod objects;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use store::{Store, StoreError};
