//! Ship an application package to Tencent Cloud CAR: the COS data plane (a signed
//! client and a concurrent, resumable, CRC-verified uploader) in [`cos`], and the
//! release workflow over the CAR client in [`release`].

pub mod cos;
pub mod release;
