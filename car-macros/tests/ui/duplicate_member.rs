car_macros::generate!("specs/duplicate_member.json");

fn main() {}
