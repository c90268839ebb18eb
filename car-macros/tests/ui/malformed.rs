car_macros::generate!("specs/malformed.json");

fn main() {}
