//! A list's selection and scroll (`ListPos`), and the `/` filter typed over
//! a list (`Filter`).

/// The `/` filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    /// Keys go to the filter input rather than the keymap.
    pub editing: bool,
}

/// Selection and scroll of the services table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListPos {
    /// Index into `State::order`.
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
}
