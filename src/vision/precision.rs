//! The number format the networks compute in: `f32`, or `f16` to halve the memory traffic and
//! use a GPU's half-precision units.
//!
//! Weights load in the chosen format and each network casts its input to it; what comes out
//! (face scores, boxes, landmarks, descriptors) is f32 again before anything is decoded or
//! compared. f16 is opt-in: it is checked against f32 on the test photos (same faces, descriptors
//! within 1e-2, the same same-person decisions), which is the bar for using it. bf16 is not
//! offered: it keeps 8 bits of mantissa to f16's 11, and candle's CPU back-end cannot multiply
//! bf16 matrices, so it could not be checked here. On the CPU f16 is slower than f32 (candle's
//! generic kernels instead of Kith's f32 ones); it exists there for that check.

use std::fmt;
use std::str::FromStr;

use candle_core::DType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    F32,
    F16,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown precision {0:?}: use f32 or f16")]
pub struct UnknownPrecision(String);

impl Precision {
    pub fn dtype(self) -> DType {
        match self {
            Self::F32 => DType::F32,
            Self::F16 => DType::F16,
        }
    }
}

impl FromStr for Precision {
    type Err = UnknownPrecision;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f32" | "float32" | "single" => Ok(Self::F32),
            "f16" | "float16" | "half" => Ok(Self::F16),
            _ => Err(UnknownPrecision(s.to_string())),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_each_precision() {
        for p in [Precision::F32, Precision::F16] {
            assert_eq!(p.to_string().parse::<Precision>().ok(), Some(p));
        }
        assert_eq!("half".parse::<Precision>().ok(), Some(Precision::F16));
        assert_eq!(Precision::F16.dtype(), DType::F16);
        let err = "bf16".parse::<Precision>().expect_err("not offered");
        assert!(err.to_string().contains("f32 or f16"), "{err}");
    }
}
