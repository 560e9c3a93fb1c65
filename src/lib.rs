//! Kith: finds the people in a photo library.
//!
//! The data flows one way: folder -> scan -> vision -> catalog -> people. The CLI (`src/main.rs`)
//! and the GUI are thin shells over this library.

pub mod album;
pub mod bench;
pub mod build_info;
pub mod catalog;
pub mod eval;
pub mod gui;
pub mod models;
pub mod name_sidecars;
pub mod paths;
pub mod people;
pub mod photo_thumbnails;
pub mod scan;
pub mod train;
pub mod vision;
pub mod wording;
