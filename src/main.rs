//! The `kith` command line: a thin shell over the library (see `cli/`).

mod cli;

fn main() {
    // candle runs element-wise ops on a spinning barrier pool; beside Kith's decoding threads it
    // spins against them for the same cores (measured: scans 2.3x slower on 2 cores). Matrix
    // products keep all cores through gemm's own pool. Set before any candle op runs, while the
    // process has a single thread.
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    cli::main();
}
