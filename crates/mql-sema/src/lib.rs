//! Semantic analysis of mql models: resolves every name, types every
//! expression, runs the static checks of spec §11 and produces the checked
//! model ([`hir::Model`]). Does no IO: `use`d files come through a [`Loader`].

pub mod hir;
