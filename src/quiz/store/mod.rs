//! Every SQL statement of the quiz: the question bank, quizzes, participants, attempts with their
//! drawn questions, and the leaderboard kept as attempts finish (the best attempt of each
//! participant, a count of participants per score and per region).

mod attempts;
mod bank;
mod leaderboards;
mod participants;
mod quizzes;

pub use attempts::*;
pub use bank::*;
pub use leaderboards::*;
pub use participants::*;
pub use quizzes::*;
