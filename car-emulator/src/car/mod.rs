//! The CAR API side: TC3 authentication, the envelope, parameter checks and the state behind all 33 actions.
