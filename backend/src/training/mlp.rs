//! A multilayer perceptron classifier in plain Rust: dense layers, ReLU/tanh/sigmoid, dropout,
//! softmax cross-entropy, backpropagation, Adam or SGD with momentum.

use crate::random::Rng;

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// tanh(x).
    Tanh,
    /// 1 / (1 + e^-x).
    Sigmoid,
}

impl Activation {
    /// The activation named in a strategy file.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "relu" => Some(Self::Relu),
            "tanh" => Some(Self::Tanh),
            "sigmoid" => Some(Self::Sigmoid),
            _ => None,
        }
    }

    /// Its name in model files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Tanh => "tanh",
            Self::Sigmoid => "sigmoid",
        }
    }

    /// (f(x), f'(x)).
    fn apply(self, x: f32) -> (f32, f32) {
        match self {
            Self::Relu => {
                if x > 0.0 {
                    (x, 1.0)
                } else {
                    (0.0, 0.0)
                }
            }
            Self::Tanh => {
                let y = x.tanh();
                (y, 1.0 - y * y)
            }
            Self::Sigmoid => {
                let y = 1.0 / (1.0 + (-x).exp());
                (y, y * (1.0 - y))
            }
        }
    }
}

/// The optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptimizerKind {
    /// Adam (β1 0.9, β2 0.999).
    Adam,
    /// SGD with momentum 0.9.
    Sgd,
}

impl OptimizerKind {
    /// The optimizer named in a strategy file.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "adam" => Some(Self::Adam),
            "sgd" => Some(Self::Sgd),
            _ => None,
        }
    }
}

/// Optimizer state over a flat parameter vector.
pub struct Optimizer {
    kind: OptimizerKind,
    learning_rate: f64,
    first_moment: Vec<f32>,
    second_moment: Vec<f32>,
    steps: i32,
}

impl Optimizer {
    /// A fresh optimizer for `parameters` parameters.
    pub fn new(kind: OptimizerKind, learning_rate: f64, parameters: usize) -> Self {
        Self {
            kind,
            learning_rate,
            first_moment: vec![0.0; parameters],
            second_moment: if kind == OptimizerKind::Adam {
                vec![0.0; parameters]
            } else {
                Vec::new()
            },
            steps: 0,
        }
    }

    /// The learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn step(&mut self, parameters: &mut [f32], gradients: &[f32]) {
        self.steps = self.steps.saturating_add(1);
        let lr = self.learning_rate as f32;
        match self.kind {
            OptimizerKind::Sgd => {
                for ((p, g), v) in parameters
                    .iter_mut()
                    .zip(gradients)
                    .zip(&mut self.first_moment)
                {
                    *v = 0.9 * *v + g;
                    *p -= lr * *v;
                }
            }
            OptimizerKind::Adam => {
                let (beta1, beta2, epsilon) = (0.9f32, 0.999f32, 1e-8f32);
                let correction1 = 1.0 - beta1.powi(self.steps);
                let correction2 = 1.0 - beta2.powi(self.steps);
                let moments = self.first_moment.iter_mut().zip(&mut self.second_moment);
                for ((p, g), (m, v)) in parameters.iter_mut().zip(gradients).zip(moments) {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    *p -= lr * (*m / correction1) / ((*v / correction2).sqrt() + epsilon);
                }
            }
        }
    }
}

/// Per-sample working memory of a forward/backward pass.
struct Pass {
    /// Output of each layer (index 0 = the input), after activation and dropout.
    outputs: Vec<Vec<f32>>,
    /// d output / d pre-activation of each hidden layer (dropout mask included).
    slopes: Vec<Vec<f32>>,
    deltas: Vec<Vec<f32>>,
}

/// A trained or training MLP. Parameters live in one flat vector, layer by layer:
/// weights (row-major, one row per output unit) then biases.
#[derive(Debug, Clone)]
pub struct Mlp {
    sizes: Vec<usize>,
    activation: Activation,
    parameters: Vec<f32>,
}

/// Loss and predictions over a data set.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Predicted class of each sample.
    pub predictions: Vec<usize>,
}

/// Loss and hits of one training batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchResult {
    /// Summed cross-entropy.
    pub loss_sum: f64,
    /// Correct predictions.
    pub correct: usize,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent accumulators let the compiler vectorize the reduction.
    let mut lanes = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

fn add_scaled(target: &mut [f32], source: &[f32], scale: f32) {
    for (t, s) in target.iter_mut().zip(source) {
        *t += scale * s;
    }
}

fn cross_entropy(probabilities: &[f32], label: usize) -> f64 {
    -f64::from(probabilities[label].max(1e-12)).ln()
}

fn argmax(values: &[f32]) -> usize {
    values.iter().enumerate().fold(
        0,
        |best, (index, value)| if *value > values[best] { index } else { best },
    )
}

impl Mlp {
    /// A freshly initialized network (He init for ReLU, Xavier otherwise; zero biases).
    pub fn new(
        inputs: usize,
        hidden: &[usize],
        classes: usize,
        activation: Activation,
        rng: &mut Rng,
    ) -> Self {
        let sizes: Vec<usize> = std::iter::once(inputs)
            .chain(hidden.iter().copied())
            .chain(std::iter::once(classes))
            .collect();
        let mut parameters = Vec::new();
        for pair in sizes.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let scale = match activation {
                Activation::Relu => (2.0 / fan_in as f64).sqrt(),
                _ => (2.0 / (fan_in + fan_out) as f64).sqrt(),
            };
            parameters.extend((0..fan_in * fan_out).map(|_| (rng.normal() * scale) as f32));
            parameters.extend(std::iter::repeat_n(0.0, fan_out));
        }
        Self {
            sizes,
            activation,
            parameters,
        }
    }

    /// Layer widths, input first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Hidden activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Number of trainable parameters.
    pub fn parameter_count(&self) -> usize {
        self.parameters.len()
    }

    /// Each layer's (weights as rows, biases).
    pub fn layers(&self) -> Vec<(Vec<Vec<f32>>, Vec<f32>)> {
        let mut offset = 0;
        self.sizes
            .windows(2)
            .map(|pair| {
                let (inputs, outputs) = (pair[0], pair[1]);
                let weights = self.parameters[offset..offset + inputs * outputs]
                    .chunks(inputs)
                    .map(<[f32]>::to_vec)
                    .collect();
                offset += inputs * outputs;
                let biases = self.parameters[offset..offset + outputs].to_vec();
                offset += outputs;
                (weights, biases)
            })
            .collect()
    }

    fn new_pass(&self) -> Pass {
        Pass {
            outputs: self.sizes.iter().map(|&size| vec![0.0; size]).collect(),
            slopes: self.sizes.iter().map(|&size| vec![0.0; size]).collect(),
            deltas: self.sizes.iter().map(|&size| vec![0.0; size]).collect(),
        }
    }

    /// Forward pass; leaves class probabilities in the last output. `dropout` = (rate, rng).
    fn forward(&self, input: &[f32], pass: &mut Pass, mut dropout: Option<(f32, &mut Rng)>) {
        pass.outputs[0].copy_from_slice(input);
        let last_layer = self.sizes.len() - 2;
        let mut offset = 0;
        for layer in 0..=last_layer {
            let (inputs, outputs) = (self.sizes[layer], self.sizes[layer + 1]);
            let weights = &self.parameters[offset..offset + inputs * outputs];
            let biases =
                &self.parameters[offset + inputs * outputs..offset + inputs * outputs + outputs];
            offset += inputs * outputs + outputs;
            let (before, after) = pass.outputs.split_at_mut(layer + 1);
            let (source, target) = (&before[layer], &mut after[0]);
            for (unit, value) in target.iter_mut().enumerate() {
                *value = biases[unit] + dot(&weights[unit * inputs..(unit + 1) * inputs], source);
            }
            if layer == last_layer {
                softmax(target);
                continue;
            }
            let slopes = &mut pass.slopes[layer + 1];
            for (value, slope) in target.iter_mut().zip(slopes.iter_mut()) {
                (*value, *slope) = self.activation.apply(*value);
            }
            if let Some((rate, rng)) = dropout.as_mut() {
                let keep = 1.0 - *rate;
                for (value, slope) in target.iter_mut().zip(slopes.iter_mut()) {
                    let mask = if (rng.uniform() as f32) < *rate {
                        0.0
                    } else {
                        1.0 / keep
                    };
                    *value *= mask;
                    *slope *= mask;
                }
            }
        }
    }

    /// Backward pass for `label` after `forward`; adds this sample's gradients to `gradients`.
    fn backward(&self, pass: &mut Pass, label: usize, gradients: &mut [f32]) {
        let layers = self.sizes.len() - 1;
        let output = layers;
        for (class, delta) in pass.deltas[output].iter_mut().enumerate() {
            *delta = pass.outputs[output][class] - if class == label { 1.0 } else { 0.0 };
        }
        let mut end = self.parameters.len();
        for layer in (0..layers).rev() {
            let (inputs, outputs) = (self.sizes[layer], self.sizes[layer + 1]);
            let bias_start = end - outputs;
            let weight_start = bias_start - inputs * outputs;
            end = weight_start;
            let (lower, upper) = pass.deltas.split_at_mut(layer + 1);
            let delta = &upper[0];
            for (unit, d) in delta.iter().enumerate() {
                gradients[bias_start + unit] += d;
                let row = weight_start + unit * inputs;
                add_scaled(&mut gradients[row..row + inputs], &pass.outputs[layer], *d);
            }
            if layer == 0 {
                break;
            }
            let previous = &mut lower[layer];
            previous.fill(0.0);
            for (unit, d) in delta.iter().enumerate() {
                let row = weight_start + unit * inputs;
                add_scaled(previous, &self.parameters[row..row + inputs], *d);
            }
            for (value, slope) in previous.iter_mut().zip(&pass.slopes[layer]) {
                *value *= slope;
            }
        }
    }

    /// One optimization step on a batch of (features, label).
    pub fn train_batch(
        &mut self,
        batch: &[(&[f32], usize)],
        optimizer: &mut Optimizer,
        dropout: f32,
        rng: &mut Rng,
    ) -> BatchResult {
        let mut gradients = vec![0.0f32; self.parameters.len()];
        let mut pass = self.new_pass();
        let mut result = BatchResult {
            loss_sum: 0.0,
            correct: 0,
        };
        for &(features, label) in batch {
            self.forward(
                features,
                &mut pass,
                (dropout > 0.0).then_some((dropout, &mut *rng)),
            );
            let probabilities = &pass.outputs[self.sizes.len() - 1];
            result.loss_sum += cross_entropy(probabilities, label);
            result.correct += usize::from(argmax(probabilities) == label);
            self.backward(&mut pass, label, &mut gradients);
        }
        let scale = 1.0 / batch.len().max(1) as f32;
        gradients.iter_mut().for_each(|g| *g *= scale);
        optimizer.step(&mut self.parameters, &gradients);
        result
    }

    /// Mean loss and predictions on a data set, without dropout.
    pub fn evaluate(&self, features: &[Vec<f32>], labels: &[usize]) -> Evaluation {
        let mut pass = self.new_pass();
        let mut loss = 0.0;
        let predictions = features
            .iter()
            .zip(labels)
            .map(|(x, &label)| {
                self.forward(x, &mut pass, None);
                let probabilities = &pass.outputs[self.sizes.len() - 1];
                loss += cross_entropy(probabilities, label);
                argmax(probabilities)
            })
            .collect();
        Evaluation {
            loss: loss / labels.len().max(1) as f64,
            predictions,
        }
    }
}

fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for value in values.iter_mut() {
        *value = (*value - max).exp();
        sum += *value;
    }
    values.iter_mut().for_each(|value| *value /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss_of(mlp: &Mlp, x: &[f32], label: usize) -> f64 {
        mlp.evaluate(&[x.to_vec()], &[label]).loss
    }

    #[test]
    fn gradients_match_finite_differences() {
        for activation in [Activation::Tanh, Activation::Sigmoid] {
            let mut rng = Rng::new(3);
            let mut mlp = Mlp::new(5, &[7, 4], 3, activation, &mut rng);
            let x = [0.3f32, -0.7, 0.1, 0.9, -0.2];
            let label = 2;
            let mut pass = mlp.new_pass();
            let mut analytic = vec![0.0f32; mlp.parameter_count()];
            mlp.forward(&x, &mut pass, None);
            mlp.backward(&mut pass, label, &mut analytic);
            let epsilon = 1e-2f32;
            for index in (0..mlp.parameter_count()).step_by(3) {
                let original = mlp.parameters[index];
                mlp.parameters[index] = original + epsilon;
                let up = loss_of(&mlp, &x, label);
                mlp.parameters[index] = original - epsilon;
                let down = loss_of(&mlp, &x, label);
                mlp.parameters[index] = original;
                let numeric = (up - down) / (2.0 * f64::from(epsilon));
                let error = (numeric - f64::from(analytic[index])).abs();
                assert!(
                    error < 2e-3 + 2e-2 * numeric.abs(),
                    "{activation:?} parameter {index}: {numeric} vs {}",
                    analytic[index]
                );
            }
        }
    }

    #[test]
    fn learns_a_separable_problem() {
        let mut rng = Rng::new(11);
        let points: Vec<(Vec<f32>, usize)> = (0..300)
            .map(|_| {
                let (x, y) = (
                    rng.uniform() as f32 * 2.0 - 1.0,
                    rng.uniform() as f32 * 2.0 - 1.0,
                );
                let label = if x + y > 0.3 {
                    0
                } else if x - y > 0.0 {
                    1
                } else {
                    2
                };
                (vec![x, y], label)
            })
            .collect();
        let mut mlp = Mlp::new(2, &[16], 3, Activation::Relu, &mut rng);
        let mut optimizer = Optimizer::new(OptimizerKind::Adam, 0.01, mlp.parameter_count());
        let features: Vec<Vec<f32>> = points.iter().map(|(x, _)| x.clone()).collect();
        let labels: Vec<usize> = points.iter().map(|(_, y)| *y).collect();
        let before = mlp.evaluate(&features, &labels).loss;
        for _ in 0..200 {
            for chunk in points.chunks(32) {
                let batch: Vec<(&[f32], usize)> =
                    chunk.iter().map(|(x, y)| (x.as_slice(), *y)).collect();
                mlp.train_batch(&batch, &mut optimizer, 0.0, &mut rng);
            }
        }
        let after = mlp.evaluate(&features, &labels);
        let accuracy = after
            .predictions
            .iter()
            .zip(&labels)
            .filter(|(p, y)| p == y)
            .count() as f64
            / labels.len() as f64;
        assert!(after.loss < before / 3.0, "loss {before} -> {}", after.loss);
        assert!(accuracy > 0.9, "accuracy {accuracy}");
    }
}
