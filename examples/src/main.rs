//! placeholder until the quickstart lands
fn main() {}
