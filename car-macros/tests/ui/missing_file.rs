car_macros::generate!("specs/no_such_spec.json");

fn main() {}
