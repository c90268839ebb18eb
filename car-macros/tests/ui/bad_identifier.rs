car_macros::generate!("specs/bad_identifier.json");

fn main() {}
