//! What the proc-macro does per build: parse and check the spec, then generate tokens.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/car.json")).unwrap();
    c.bench_function("parse+check spec/car.json", |b| {
        b.iter(|| car_spec::parse(black_box(&src)).unwrap())
    });
    let checked = car_spec::parse(&src).unwrap();
    c.bench_function("generate tokens for spec/car.json", |b| {
        b.iter(|| car_spec::codegen::generate(black_box(&checked)))
    });
    c.bench_function("macro work: parse+check+generate+stringify", |b| {
        b.iter(|| {
            let checked = car_spec::parse(black_box(&src)).unwrap();
            car_spec::codegen::generate(&checked).to_string()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
