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
    keep_freed_memory();
    cli::main();
}

/// A scan allocates and frees tens of megabytes per photo (decoded pixels, feature maps). glibc
/// hands blocks that large straight back to the kernel, and every photo then pays page faults to
/// get them again: about a fifth of the scan's CPU time went to the kernel. Keeping freed memory
/// in the heap cut the CPU per photo by about 9% (`kith bench` on 12 MP photos: 397 ms from 434).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    const MIB: libc::c_int = 1 << 20;
    // SAFETY: mallopt only changes allocator settings; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * MIB);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * MIB);
        libc::mallopt(libc::M_TOP_PAD, 64 * MIB);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}
