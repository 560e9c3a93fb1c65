//! Opening a C library of the computer's at run time (libheif, LibRaw), rather than linking it,
//! so that Kith installs and runs where it is missing: the formats it reads are then recorded
//! as unsupported, with what to install, and are read by the first scan after it is.

/// Declares a struct with one field per C function named `<prefix><field>`, the library that
/// keeps them loaded, and `resolve`, which looks each one up: a signature and its symbol are
/// written once.
macro_rules! system_functions {
    ($(#[$doc:meta])* struct $name:ident, prefix $prefix:literal {
        $($function:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*
    }) => {
        $(#[$doc])*
        #[allow(non_snake_case)]
        struct $name {
            $($function: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
            /// Keeps the functions above loaded (some libraries also look up optional ones).
            #[allow(dead_code)]
            library: libloading::Library,
        }

        impl $name {
            fn resolve(library: libloading::Library) -> Result<Self, libloading::Error> {
                // SAFETY: each symbol is given the signature its C header declares for it.
                unsafe {
                    Ok(Self {
                        $($function: *library.get(
                            concat!($prefix, stringify!($function), "\0").as_bytes()
                        )?,)*
                        library,
                    })
                }
            }
        }
    };
}
pub(crate) use system_functions;

/// The first of `names` that loads and has every function `resolve` looks up, or `None` (said
/// in the log, with `without`: what goes unread).
pub(crate) fn open_first<T>(
    names: &[&str],
    resolve: impl Fn(libloading::Library) -> Result<T, libloading::Error>,
    without: &str,
) -> Option<T> {
    let found = names.iter().find_map(|name| {
        // SAFETY: loading the library runs only its own initialisers.
        let library = unsafe { libloading::Library::new(name) }.ok()?;
        resolve(library)
            .inspect_err(|err| tracing::warn!("{name} lacks a function Kith needs: {err}"))
            .ok()
    });
    if found.is_none() {
        tracing::info!("none of {names:?} was found: {without}");
    }
    found
}
