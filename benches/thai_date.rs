//! Parsing Buddhist-Era dates, against chrono's own `parse_from_str` on the
//! same text (CE) as the baseline. Run: `cargo bench --bench thai_date`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn dates(c: &mut Criterion) {
    let mut group = c.benchmark_group("date_parse");
    group.bench_function("baseline: chrono parse_from_str (CE)", |b| {
        b.iter(|| chrono::NaiveDate::parse_from_str(black_box("24/09/2020"), "%d/%m/%Y"))
    });
    group.bench_function("tidtam parse_be (BE)", |b| {
        b.iter(|| tidtam::types::parse_be(black_box("24/09/2563")))
    });
    group.finish();
}

criterion_group!(benches, dates);
criterion_main!(benches);
