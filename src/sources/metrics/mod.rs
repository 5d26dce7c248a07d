//! Scraping `/metrics` endpoints: the exposition parser, the digest a
//! scrape is reduced to, and the task that scrapes on an interval.

mod group;
mod lex;
mod line;
pub mod digest;
pub mod parse;
pub mod scrape;
#[cfg(test)]
mod parse_tests;
