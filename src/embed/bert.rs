//! The BERT encoder of all-MiniLM-L6-v2, on candle tensors: matrix
//! products through candle (its `gemm` kernels, AVX-512 where the CPU has
//! it), and the element-wise steps (GELU, the masked attention softmax,
//! layer norm) as in-place operations over [`super::fastmath`], so no step
//! calls libm one value at a time.
//!
//! It computes what the reference BERT computes (token + position +
//! segment-0 embeddings, then per layer: self-attention with the padding
//! masked, residual and layer norm, a GELU feed-forward, residual and layer
//! norm); the unit tests in `super` pin its output to reference values.
//! The query projection is pre-scaled by 1/√head_size at load, so the
//! attention scores need no separate scaling pass.

use std::collections::HashMap;

use candle_core::{CpuStorage, DType, Device, InplaceOp1, Layout, Tensor};
use rayon::prelude::*;

use super::fastmath;

/// What the encoder needs of the model's `config.json`.
#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct Config {
    /// Width of every token's hidden state.
    hidden_size: usize,
    /// Encoder layers.
    num_hidden_layers: usize,
    /// Attention heads per layer (hidden_size divides evenly).
    num_attention_heads: usize,
    /// Width of the feed-forward layer.
    intermediate_size: usize,
    /// Longest input the position table covers.
    max_position_embeddings: usize,
    /// Layer norm's epsilon.
    layer_norm_eps: f64,
    /// The activation; only BERT's exact GELU is implemented.
    hidden_act: String,
}

/// A dense layer: `x · wᵀ + b`, with `wᵀ` stored transposed and contiguous
/// (the layout the matrix product reads fastest).
struct Linear {
    /// The weight, transposed: (in, out).
    w_t: Tensor,
    /// The bias: (out).
    b: Tensor,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.w_t)?.broadcast_add(&self.b)
    }
}

/// Layer norm's learned scale and shift.
struct Norm {
    /// Scale per hidden unit.
    gamma: Vec<f32>,
    /// Shift per hidden unit.
    beta: Vec<f32>,
    /// Added to the variance.
    eps: f32,
}

/// One encoder layer.
struct Layer {
    /// Query, key and value projections in one product (query pre-scaled).
    qkv: Linear,
    /// The attention output projection.
    out: Linear,
    /// The norm after attention.
    attn_norm: Norm,
    /// The feed-forward expansion.
    up: Linear,
    /// The feed-forward projection back.
    down: Linear,
    /// The norm after the feed-forward.
    ffn_norm: Norm,
}

/// The encoder.
pub(super) struct Bert {
    /// Word-piece embeddings: (vocabulary, hidden).
    words: Tensor,
    /// Position embeddings plus the segment-0 embedding: (positions, hidden).
    positions: Tensor,
    /// The norm over the embeddings.
    embed_norm: Norm,
    /// The layers, in order.
    layers: Vec<Layer>,
    /// Attention heads per layer.
    heads: usize,
    /// Hidden width.
    hidden: usize,
    /// Longest input in positions.
    max_positions: usize,
}

/// Something wrong with the weights file: what and why.
pub(super) type LoadError = String;

impl Bert {
    /// The encoder from the model's safetensors bytes (any float dtype;
    /// computed in f32) and its configuration.
    pub(super) fn load(weights: &[u8], config: &Config) -> Result<Bert, LoadError> {
        if config.hidden_act != "gelu" {
            return Err(format!(
                "hidden_act `{}` is not supported (only BERT's gelu)",
                config.hidden_act
            ));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err("hidden_size must divide into the attention heads".into());
        }
        let tensors = candle_core::safetensors::load_buffer(weights, &Device::Cpu)
            .map_err(|e| e.to_string())?;
        let mut w = Weights(tensors);
        let heads = config.num_attention_heads;
        let scale = 1.0 / ((config.hidden_size / heads) as f64).sqrt();
        let eps = config.layer_norm_eps as f32;
        let words = w.take("embeddings.word_embeddings.weight")?;
        let segment0 = w.take("embeddings.token_type_embeddings.weight")?;
        let segment0 = segment0.get(0).map_err(|e| e.to_string())?;
        let positions = w
            .take("embeddings.position_embeddings.weight")?
            .broadcast_add(&segment0)
            .map_err(|e| e.to_string())?;
        let embed_norm = w.norm("embeddings.LayerNorm", eps)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let q = w.linear(&format!("{p}.attention.self.query"), scale)?;
            let k = w.linear(&format!("{p}.attention.self.key"), 1.0)?;
            let v = w.linear(&format!("{p}.attention.self.value"), 1.0)?;
            let cat = |a: [&Tensor; 3], dim| Tensor::cat(&a, dim).map_err(|e| e.to_string());
            let qkv = Linear {
                w_t: cat([&q.w_t, &k.w_t, &v.w_t], 1)?,
                b: cat([&q.b, &k.b, &v.b], 0)?,
            };
            layers.push(Layer {
                qkv,
                out: w.linear(&format!("{p}.attention.output.dense"), 1.0)?,
                attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"), eps)?,
                up: w.linear(&format!("{p}.intermediate.dense"), 1.0)?,
                down: w.linear(&format!("{p}.output.dense"), 1.0)?,
                ffn_norm: w.norm(&format!("{p}.output.LayerNorm"), eps)?,
            });
        }
        let shape_ok = words.dims().get(1) == Some(&config.hidden_size)
            && positions.dims() == [config.max_position_embeddings, config.hidden_size]
            && layers.iter().all(|l| {
                l.up.w_t.dims() == [config.hidden_size, config.intermediate_size]
                    && l.qkv.w_t.dims() == [config.hidden_size, 3 * config.hidden_size]
            });
        if !shape_ok {
            return Err("tensor shapes do not match config.json".into());
        }
        Ok(Bert {
            words,
            positions,
            embed_norm,
            layers,
            heads,
            hidden: config.hidden_size,
            max_positions: config.max_position_embeddings,
        })
    }

    /// Hidden width.
    pub(super) fn hidden(&self) -> usize {
        self.hidden
    }

    /// The last layer's hidden states, (batch · width, hidden) row-major,
    /// for `batch` inputs of `width` word pieces each (`ids` and `mask`
    /// row-major; mask 1 for a real piece, 0 for padding).
    pub(super) fn forward(
        &self,
        ids: &[u32],
        mask: &[u32],
        batch: usize,
        width: usize,
    ) -> candle_core::Result<Vec<f32>> {
        let (n, h) = (batch * width, self.hidden);
        if width > self.max_positions || ids.len() != n || mask.len() != n {
            candle_core::bail!("{batch}×{width} input does not fit the model");
        }
        let dh = h / self.heads;
        // Padding gets a large negative score before the softmax.
        let additive: Vec<f32> = mask
            .iter()
            .map(|&m| if m == 0 { f32::MIN } else { 0.0 })
            .collect();
        let ids = Tensor::from_slice(ids, n, &Device::Cpu)?;
        let mut x = self
            .words
            .index_select(&ids, 0)?
            .reshape((batch, width, h))?
            .broadcast_add(&self.positions.narrow(0, 0, width)?)?
            .reshape((n, h))?;
        x.inplace_op1(&NormOp(&self.embed_norm))?;
        for l in &self.layers {
            let qkv = l
                .qkv
                .forward(&x)?
                .reshape((batch, width, 3, self.heads, dh))?
                .permute((2, 0, 3, 1, 4))?
                .contiguous()?;
            let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
            let scores = q.matmul(&k.t()?)?;
            scores.inplace_op1(&SoftmaxOp {
                mask: &additive,
                width,
                rows_per_input: self.heads * width,
            })?;
            let context = scores
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((n, h))?;
            let attended = (l.out.forward(&context)? + &x)?;
            attended.inplace_op1(&NormOp(&l.attn_norm))?;
            let up = l.up.forward(&attended)?;
            up.inplace_op1(&GeluOp)?;
            let out = (l.down.forward(&up)? + &attended)?;
            out.inplace_op1(&NormOp(&l.ffn_norm))?;
            x = out;
        }
        x.flatten_all()?.to_vec1::<f32>()
    }
}

/// The weights by name, taken out one by one as f32.
struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn take(&mut self, name: &str) -> Result<Tensor, LoadError> {
        self.0
            .remove(name)
            .ok_or_else(|| format!("tensor `{name}` is missing"))?
            .to_dtype(DType::F32)
            .map_err(|e| e.to_string())
    }

    fn vec(&mut self, name: &str) -> Result<Vec<f32>, LoadError> {
        self.take(name)?.to_vec1().map_err(|e| e.to_string())
    }

    /// `{prefix}.weight` (out, in) and `{prefix}.bias`, both times `scale`.
    fn linear(&mut self, prefix: &str, scale: f64) -> Result<Linear, LoadError> {
        let w = self.take(&format!("{prefix}.weight"))?;
        let b = self.take(&format!("{prefix}.bias"))?;
        let e = |e: candle_core::Error| e.to_string();
        Ok(Linear {
            w_t: (w.t().map_err(e)?.contiguous().map_err(e)? * scale).map_err(e)?,
            b: (b * scale).map_err(e)?,
        })
    }

    fn norm(&mut self, prefix: &str, eps: f32) -> Result<Norm, LoadError> {
        Ok(Norm {
            gamma: self.vec(&format!("{prefix}.weight"))?,
            beta: self.vec(&format!("{prefix}.bias"))?,
            eps,
        })
    }
}

/// Rows handed to one thread at a time by the element-wise operations.
const ROWS_PER_TASK: usize = 16;

/// The f32 data of a contiguous tensor, for an in-place operation.
fn data<'a>(
    name: &str,
    storage: &'a mut CpuStorage,
    layout: &Layout,
) -> candle_core::Result<&'a mut [f32]> {
    let CpuStorage::F32(v) = storage else {
        candle_core::bail!("{name}: expects f32");
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("{name}: expects a contiguous tensor");
    };
    Ok(&mut v[start..end])
}

/// GELU, in place.
struct GeluOp;

impl InplaceOp1 for GeluOp {
    fn name(&self) -> &'static str {
        "gelu"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let row = layout.dims().last().copied().unwrap_or(1).max(1);
        data(self.name(), storage, layout)?
            .par_chunks_mut(row * ROWS_PER_TASK)
            .for_each(fastmath::gelu);
        Ok(())
    }
}

/// Layer norm over the last dimension, in place.
struct NormOp<'a>(&'a Norm);

impl InplaceOp1 for NormOp<'_> {
    fn name(&self) -> &'static str {
        "layer-norm"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let n = self.0;
        let row = n.gamma.len();
        if layout.dims().last() != Some(&row) {
            candle_core::bail!("layer-norm: width {:?} is not {row}", layout.dims());
        }
        data(self.name(), storage, layout)?
            .par_chunks_mut(row * ROWS_PER_TASK)
            .for_each(|rows| fastmath::layer_norm(rows, &n.gamma, &n.beta, n.eps));
        Ok(())
    }
}

/// The attention softmax over (batch, heads, width, width) scores, in
/// place, with each input's padding masked.
struct SoftmaxOp<'a> {
    /// Additive mask, (batch, width).
    mask: &'a [f32],
    /// Keys per row.
    width: usize,
    /// Score rows of one input (heads · width).
    rows_per_input: usize,
}

impl InplaceOp1 for SoftmaxOp<'_> {
    fn name(&self) -> &'static str {
        "masked-softmax"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let w = self.width;
        data(self.name(), storage, layout)?
            .par_chunks_mut(w * self.rows_per_input)
            .zip(self.mask.par_chunks(w))
            .for_each(|(scores, mask)| fastmath::masked_softmax(scores, w, mask));
        Ok(())
    }
}
