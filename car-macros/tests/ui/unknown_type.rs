car_macros::generate!("specs/unknown_type.json");

fn main() {}
