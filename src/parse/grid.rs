//! The common shape every reader produces: named grids of rows of cells.
use chrono::NaiveDate;

/// One cell value, reader-independent.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// One row with where it came from (sheet or page, 1-based row or text line).
#[derive(Debug, Clone)]
pub struct Row {
    /// Shared by all rows of a sheet: one allocation, not one per row.
    pub sheet: std::sync::Arc<str>,
    pub row: u32,
    pub cells: Vec<Cell>,
    /// A line of running text outside any table (a PDF page's title block): read for
    /// identifiers only, never as a header or a person.
    pub free_text: bool,
}

impl Row {
    pub fn cell(&self, i: usize) -> &Cell {
        self.cells.get(i).unwrap_or(&Cell::Empty)
    }

    pub fn non_empty(&self) -> usize {
        self.cells.iter().filter(|c| !c.is_empty()).count()
    }

    /// The row's texts, cells apart by a tab: numbers in neighbouring cells ("18", "9 403")
    /// must not read as one.
    pub fn joined_text(&self) -> String {
        let mut out = String::new();
        for t in self.cells.iter().filter_map(super::fields::cell_text) {
            if !out.is_empty() {
                out.push('\t');
            }
            out.push_str(&t);
        }
        out
    }
}

/// A sheet, a CSV file, or a PDF's pages joined into one table.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub name: String,
    pub rows: Vec<Row>,
}
