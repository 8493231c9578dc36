//! Small, dependency-free statistics for the gate: distributions (normal, Student's t), robust
//! location and scale (median, MAD), and Benjamini–Hochberg false-discovery control.
//!
//! Implemented here rather than pulled in because the gate needs five functions, each checked
//! against published tables in the tests below and by property tests.

mod dist;
mod fdr;
mod robust;

pub(crate) use dist::{f_sf, normal_quantile, t_cdf, t_quantile};
pub(crate) use fdr::benjamini_hochberg;
pub(crate) use robust::{mad_sd, mean, median, median_se_log, sample_sd};
