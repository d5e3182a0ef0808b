//! testca
