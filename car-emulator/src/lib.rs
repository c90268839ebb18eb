//! A stateful local stand-in for Tencent Cloud CAR (API 2022-01-10) and the COS bucket its
//! package uploads go to: strict where the real services are strict, durable across
//! restarts, with faults on demand. `car emulator` runs it, `car --local` embeds it, and
//! tests start it in one call:
//!
//! ```no_run
//! # async fn demo() -> Result<(), car_emulator::StartError> {
//! let emulator = car_emulator::Emulator::builder().start().await?;
//! println!("{} {}", emulator.endpoint(), emulator.secret_id());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

pub mod car;
pub mod clock;
pub mod cos;
pub mod faults;
pub mod grants;
pub mod objects;
pub mod server;
pub mod store;
pub mod test_proxy;
pub mod test_server;
mod tls;

pub use clock::{Clock, ManualClock, SystemClock};
pub use faults::{Fault, FaultCount, FaultKind, FaultSpecError, Faults};
pub use server::{Emulator, EmulatorBuilder, RunningEmulator, ServiceParts, StartError};
pub use store::{Store, StoreError};
pub use tls::CA_FILE;
