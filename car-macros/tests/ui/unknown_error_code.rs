car_macros::generate!("specs/unknown_error_code.json");

fn main() {}
