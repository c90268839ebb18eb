car_macros::generate!(spec = 1);

fn main() {}
