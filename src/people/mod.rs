//! People: grouping faces into persons and everything asked of them afterwards: the neighbour
//! index, copies of one picture counted once, clustering, honouring the user's decisions, suggestions, the review queue and search.

pub mod assign;
pub mod cluster;
pub mod copies;
pub mod listed;
pub mod neighbours;
pub mod placing;
pub mod review;
pub mod search;
pub mod settings;
pub mod suggest;
pub mod synthetic;
