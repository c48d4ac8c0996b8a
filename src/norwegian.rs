//! Norwegian identifiers and number formats: fødselsnummer, org number, KID, amounts, dates.
//! Owned by the parser work; see the function list in the parse issue.
