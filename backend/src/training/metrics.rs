//! Classification metrics: accuracy and support-weighted precision, recall and F1.

/// Scores of predictions against labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Share of correct predictions.
    pub accuracy: f64,
    /// Precision per class, weighted by class support.
    pub precision: f64,
    /// Recall per class, weighted by class support.
    pub recall: f64,
    /// F1 per class, weighted by class support.
    pub f1: f64,
}

/// Scores over `classes` classes (a class never predicted has precision 0, as sklearn's
/// `zero_division=0`).
pub fn score(predictions: &[usize], labels: &[usize], classes: usize) -> Scores {
    let total = labels.len();
    if total == 0 {
        return Scores {
            accuracy: 0.0,
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
        };
    }
    let mut scores = Scores {
        accuracy: 0.0,
        precision: 0.0,
        recall: 0.0,
        f1: 0.0,
    };
    let correct = predictions
        .iter()
        .zip(labels)
        .filter(|(p, y)| p == y)
        .count();
    scores.accuracy = correct as f64 / total as f64;
    for class in 0..classes {
        let support = labels.iter().filter(|&&y| y == class).count();
        let predicted = predictions.iter().filter(|&&p| p == class).count();
        let hits = predictions
            .iter()
            .zip(labels)
            .filter(|(p, y)| **p == class && **y == class)
            .count();
        let ratio = |num: usize, den: usize| {
            if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            }
        };
        let (precision, recall) = (ratio(hits, predicted), ratio(hits, support));
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        let weight = support as f64 / total as f64;
        scores.precision += weight * precision;
        scores.recall += weight * recall;
        scores.f1 += weight * f1;
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_scores_match_sklearn() {
        // sklearn: precision_recall_fscore_support([0,0,1,1,2,2], [0,1,1,1,2,0], average="weighted")
        let labels = [0, 0, 1, 1, 2, 2];
        let predictions = [0, 1, 1, 1, 2, 0];
        let scores = score(&predictions, &labels, 3);
        assert!((scores.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!((scores.precision - (0.5 + 2.0 / 3.0 + 1.0) / 3.0).abs() < 1e-12);
        assert!((scores.recall - (0.5 + 1.0 + 0.5) / 3.0).abs() < 1e-12);
        assert!((scores.f1 - (0.5 + 0.8 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }
}
