// No candidate exists: the error names every path tried.
car_macros::generate!("specs/not_here.json", "specs/nor_here.json");

fn main() {}
