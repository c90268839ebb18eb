// The first spec path is missing, so the second is read (and its mistake reported there).
car_macros::generate!("specs/not_here.json", "specs/unknown_type.json");

fn main() {}
