//! Scraping `/metrics` endpoints: the exposition parser, the digest a
//! scrape is reduced to, and the task that scrapes on an interval.

pub mod digest;
pub mod exposition;
mod group;
mod lex;
mod line;
pub mod parse;
#[cfg(test)]
mod parse_tests;
pub mod scrape;
