"""Convert a CTranslate2 Whisper model (model.bin) back into an openai-whisper checkpoint or a transformers folder.

CTranslate2's Whisper converter copies every weight of the original model and only
reorganises them: the self-attention query/key/value projections are fused into one
matrix (`linear_0`, rows q, k, v), the cross-attention key/value into one (`linear_1`),
and the key bias (Whisper has none) is stored as zeros. Inverting that layout gives
the exact openai-whisper state dict, so both engines then compute the same function. Renaming that state dict
as transformers' own converter does (convert_openai_to_hf.py) gives a `WhisperForConditionalGeneration` folder;
its tokenizer and generation settings come from the CTranslate2 folder's tokenizer.json and config.json.

Usage: archreview convert-whisper CT2_DIR OUT.pt
       archreview convert-whisper --to transformers CT2_DIR OUT_DIR
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

CT2_BINARY_VERSION = 6  # the model.bin layout this reader understands (ctranslate2 >= 3)
CT2_WHISPER_SPEC = "WhisperSpec"
# Order of CTranslate2's DataType enum (include/ctranslate2/types.h, specs/model_spec.py)
CT2_DTYPES: tuple[str, ...] = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
N_MELS_AXIS = 1  # conv1 weight is (n_audio_state, n_mels, kernel)
MULTILINGUAL_VOCAB = 51865  # English-only Whisper models have 51864 tokens, multilingual ones 51865 or more
MAX_INITIAL_TIMESTAMP_INDEX = 50  # openai-whisper: the first timestamp is at most 1.0 s (50 steps of 20 ms)
# openai-whisper name pieces -> transformers' (transformers/models/whisper/convert_openai_to_hf.py), in order
_HF_NAMES: tuple[tuple[str, str], ...] = (
    ("blocks", "layers"),
    ("mlp.0", "fc1"),
    ("mlp.2", "fc2"),
    ("mlp_ln", "final_layer_norm"),
    (".attn.query", ".self_attn.q_proj"),
    (".attn.key", ".self_attn.k_proj"),
    (".attn.value", ".self_attn.v_proj"),
    (".attn_ln", ".self_attn_layer_norm"),
    (".attn.out", ".self_attn.out_proj"),
    (".cross_attn.query", ".encoder_attn.q_proj"),
    (".cross_attn.key", ".encoder_attn.k_proj"),
    (".cross_attn.value", ".encoder_attn.v_proj"),
    (".cross_attn_ln", ".encoder_attn_layer_norm"),
    (".cross_attn.out", ".encoder_attn.out_proj"),
    ("decoder.ln.", "decoder.layer_norm."),
    ("encoder.ln.", "encoder.layer_norm."),
    ("encoder.ln_post.", "encoder.layer_norm."),
    ("token_embedding", "embed_tokens"),
    ("encoder.positional_embedding", "encoder.embed_positions.weight"),
    ("decoder.positional_embedding", "decoder.embed_positions.weight"),
)


class ConversionError(ValueError):
    """The CTranslate2 model cannot be read or is not a Whisper model in a supported layout."""


@dataclass(frozen=True)
class Ct2Model:
    """The variables of a CTranslate2 model.bin."""

    spec: str  # the spec name, e.g. WhisperSpec
    revision: int  # the spec's layout revision
    variables: dict[str, np.ndarray]  # name -> value (aliases resolved)


class _Reader:
    """Sequential little-endian reads from a bytes buffer."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return int(value)

    def string(self) -> str:
        length = self.unpack("H")  # includes the trailing NUL
        text = self.data[self.offset : self.offset + length - 1].decode("utf-8")
        self.offset += length
        return text

    def raw(self, size: int) -> bytes:
        if self.offset + size > len(self.data):
            raise ConversionError("model.bin is truncated")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def read_ct2_model(path: str) -> Ct2Model:
    """Read every variable of a CTranslate2 `model.bin` (binary version 6).

    Args:
        path: the model.bin file.
    Returns:
        The spec name, revision and variables (as stored: float16 stays float16).
    Raises:
        ConversionError: the file is missing, truncated, or of another binary version or dtype.
    """
    try:
        with open(path, "rb") as f:
            reader = _Reader(f.read())
    except OSError as e:
        raise ConversionError(f"cannot read {path}: {e}") from e
    try:
        version = reader.unpack("I")
        if version != CT2_BINARY_VERSION:
            raise ConversionError(f"{path}: binary version {version}, only {CT2_BINARY_VERSION} is supported")
        spec = reader.string()
        revision = reader.unpack("I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(reader.unpack("I")):
            name = reader.string()
            shape = tuple(reader.unpack("I") for _ in range(reader.unpack("B")))
            dtype_id = reader.unpack("B")
            if dtype_id >= len(CT2_DTYPES) or CT2_DTYPES[dtype_id] == "bfloat16":
                raise ConversionError(f"{path}: variable {name} has unsupported dtype id {dtype_id}")
            data = reader.raw(reader.unpack("I"))
            variables[name] = np.frombuffer(data, dtype=CT2_DTYPES[dtype_id]).reshape(shape).copy()
        for _ in range(reader.unpack("I")):
            alias, target = reader.string(), reader.string()
            variables[alias] = variables[target]
    except (struct.error, UnicodeDecodeError) as e:
        raise ConversionError(f"{path} is not a CTranslate2 model.bin: {e}") from e
    return Ct2Model(spec=spec, revision=revision, variables=variables)


def _count_layers(variables: dict[str, np.ndarray], scope: str) -> int:
    """How many `scope/layer_N` blocks the model has."""
    count = 0
    while f"{scope}/layer_{count}/ffn/linear_0/weight" in variables:
        count += 1
    return count


def _scalar(variables: dict[str, np.ndarray], name: str) -> int:
    try:
        return int(variables[name].reshape(-1)[0])
    except KeyError as e:
        raise ConversionError(f"model.bin has no {name}") from e


def whisper_dims(model: Ct2Model) -> dict[str, int]:
    """The openai-whisper `ModelDimensions` of a CTranslate2 Whisper model.

    Raises:
        ConversionError: the model is not a Whisper model.
    """
    if model.spec != CT2_WHISPER_SPEC:
        raise ConversionError(f"not a Whisper model: spec {model.spec}")
    v = model.variables
    try:
        embeddings = v["decoder/embeddings/weight"]
        return {
            "n_mels": int(v["encoder/conv1/weight"].shape[N_MELS_AXIS]),
            "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
            "n_audio_state": int(v["encoder/conv1/weight"].shape[0]),
            "n_audio_head": _scalar(v, "encoder/num_heads"),
            "n_audio_layer": _count_layers(v, "encoder"),
            "n_vocab": int(embeddings.shape[0]),
            "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
            "n_text_state": int(embeddings.shape[1]),
            "n_text_head": _scalar(v, "decoder/num_heads"),
            "n_text_layer": _count_layers(v, "decoder"),
        }
    except KeyError as e:
        raise ConversionError(f"model.bin has no {e.args[0]}: not a CTranslate2 Whisper model") from e


def _split_rows(value: np.ndarray, parts: int) -> list[np.ndarray]:
    """Undo CTranslate2's fusion of projections along the output (first) axis."""
    if value.shape[0] % parts:
        raise ConversionError(f"fused projection of {value.shape[0]} rows does not split in {parts}")
    return list(np.split(value, parts, axis=0))


def _attention(v: dict[str, np.ndarray], src: str, dst: str, *, cross: bool) -> Iterator[tuple[str, np.ndarray]]:
    """openai-whisper `MultiHeadAttention` weights from a CTranslate2 attention scope."""
    if cross:
        query_w, query_b = v[f"{src}/linear_0/weight"], v[f"{src}/linear_0/bias"]
        key_w, value_w = _split_rows(v[f"{src}/linear_1/weight"], 2)
        _, value_b = _split_rows(v[f"{src}/linear_1/bias"], 2)
        out = "linear_2"
    else:
        query_w, key_w, value_w = _split_rows(v[f"{src}/linear_0/weight"], 3)
        query_b, _, value_b = _split_rows(v[f"{src}/linear_0/bias"], 3)
        out = "linear_1"
    # The key bias CTranslate2 stores is all zeros: Whisper's key projection has no bias.
    yield f"{dst}.query.weight", query_w
    yield f"{dst}.query.bias", query_b
    yield f"{dst}.key.weight", key_w
    yield f"{dst}.value.weight", value_w
    yield f"{dst}.value.bias", value_b
    yield f"{dst}.out.weight", v[f"{src}/{out}/weight"]
    yield f"{dst}.out.bias", v[f"{src}/{out}/bias"]


def _norm(v: dict[str, np.ndarray], src: str, dst: str) -> Iterator[tuple[str, np.ndarray]]:
    yield f"{dst}.weight", v[f"{src}/gamma"]
    yield f"{dst}.bias", v[f"{src}/beta"]


def _linear(v: dict[str, np.ndarray], src: str, dst: str) -> Iterator[tuple[str, np.ndarray]]:
    yield f"{dst}.weight", v[f"{src}/weight"]
    yield f"{dst}.bias", v[f"{src}/bias"]


def _block(v: dict[str, np.ndarray], src: str, dst: str, *, cross: bool) -> Iterator[tuple[str, np.ndarray]]:
    """One openai-whisper `ResidualAttentionBlock` from a CTranslate2 layer scope."""
    yield from _attention(v, f"{src}/self_attention", f"{dst}.attn", cross=False)
    yield from _norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
    if cross:
        yield from _attention(v, f"{src}/attention", f"{dst}.cross_attn", cross=True)
        yield from _norm(v, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
    yield from _linear(v, f"{src}/ffn/linear_0", f"{dst}.mlp.0")
    yield from _linear(v, f"{src}/ffn/linear_1", f"{dst}.mlp.2")
    yield from _norm(v, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")


def whisper_state_dict(model: Ct2Model) -> dict[str, np.ndarray]:
    """The openai-whisper `Whisper` state dict (numpy arrays) of a CTranslate2 Whisper model.

    Raises:
        ConversionError: a variable is missing or a shape does not fit.
    """
    dims = whisper_dims(model)
    v = model.variables
    state: dict[str, np.ndarray] = {}
    try:
        state.update(_linear(v, "encoder/conv1", "encoder.conv1"))
        state.update(_linear(v, "encoder/conv2", "encoder.conv2"))
        state["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
        for i in range(dims["n_audio_layer"]):
            state.update(_block(v, f"encoder/layer_{i}", f"encoder.blocks.{i}", cross=False))
        state.update(_norm(v, "encoder/layer_norm", "encoder.ln_post"))
        state["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
        state["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
        for i in range(dims["n_text_layer"]):
            state.update(_block(v, f"decoder/layer_{i}", f"decoder.blocks.{i}", cross=True))
        state.update(_norm(v, "decoder/layer_norm", "decoder.ln"))
    except KeyError as e:
        raise ConversionError(f"model.bin has no {e.args[0]}: not a CTranslate2 Whisper model") from e
    projection = v.get("decoder/projection/weight")
    if projection is not None and not np.array_equal(projection, state["decoder.token_embedding.weight"]):
        # openai-whisper ties its output projection to the token embedding; an untied one cannot be expressed.
        raise ConversionError("the output projection is not tied to the token embedding")
    return state


def convert_ctranslate2_to_openai(ct2_dir: str, out_path: str) -> None:
    """Write the openai-whisper checkpoint (`{"dims", "model_state_dict"}`) of a CTranslate2 Whisper model.

    The checkpoint loads with `torch.load(out_path, weights_only=True)` and
    `whisper.model.Whisper(ModelDimensions(**ckpt["dims"]))`; weights keep their stored dtype
    (float16 for the usual CTranslate2 models, as in OpenAI's own checkpoints).

    Args:
        ct2_dir: the CTranslate2 model folder (holding model.bin).
        out_path: the .pt file to write (its folder is created).
    Raises:
        ConversionError: the folder holds no readable CTranslate2 Whisper model.
        OSError: the output cannot be written.
    """
    import torch

    model = read_ct2_model(os.path.join(ct2_dir, "model.bin"))
    dims = whisper_dims(model)
    state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in whisper_state_dict(model).items()}
    folder = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(folder, exist_ok=True)
    torch.save({"dims": dims, "model_state_dict": state}, out_path)


def transformers_name(openai_name: str) -> str:
    """The transformers `WhisperForConditionalGeneration` name of an openai-whisper state-dict entry."""
    name = openai_name
    for old, new in _HF_NAMES:
        name = name.replace(old, new)
    return "model." + name


def _read_json(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except (OSError, ValueError) as e:
        raise ConversionError(f"cannot read {path}: {e}") from e
    if not isinstance(value, dict):
        raise ConversionError(f"{path} does not hold a JSON object")
    return value


def convert_ctranslate2_to_transformers(ct2_dir: str, out_dir: str) -> None:
    """Write a transformers Whisper folder (model, tokenizer, feature extractor, generation config) from a
    CTranslate2 Whisper model folder, offline.

    The folder loads with `WhisperForConditionalGeneration.from_pretrained(out_dir)` and
    `WhisperProcessor.from_pretrained(out_dir)`. Weights are saved as safetensors in their stored dtype.

    Args:
        ct2_dir: the CTranslate2 model folder (model.bin, tokenizer.json and config.json, as faster-whisper's).
        out_dir: the folder to write (created; files in it are replaced).
    Raises:
        ConversionError: the folder holds no readable CTranslate2 Whisper model, or its tokenizer.json is missing.
        OSError: the output cannot be written.
    """
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    model = read_ct2_model(os.path.join(ct2_dir, "model.bin"))
    dims = whisper_dims(model)
    tokenizer_file = os.path.join(ct2_dir, "tokenizer.json")
    specials = [
        str(token["content"])
        for token in _read_json(tokenizer_file).get("added_tokens", [])
        if token.get("special")
    ]
    # Timestamp tokens follow the last special token: the tokenizer must know every special one to place them.
    tokenizer = WhisperTokenizer(tokenizer_file=tokenizer_file, extra_special_tokens=specials)
    config_file = os.path.join(ct2_dir, "config.json")
    ct2_config = _read_json(config_file) if os.path.isfile(config_file) else {}

    def token_id(token: str) -> int:
        return int(tokenizer.convert_tokens_to_ids(token))  # type: ignore[arg-type]  # one token, one id

    eos, sot = token_id("<|endoftext|>"), token_id("<|startoftranscript|>")
    multilingual = dims["n_vocab"] >= MULTILINGUAL_VOCAB
    config = WhisperConfig(
        vocab_size=dims["n_vocab"],
        num_mel_bins=dims["n_mels"],
        d_model=dims["n_audio_state"],
        encoder_layers=dims["n_audio_layer"],
        encoder_attention_heads=dims["n_audio_head"],
        encoder_ffn_dim=4 * dims["n_audio_state"],
        decoder_layers=dims["n_text_layer"],
        decoder_attention_heads=dims["n_text_head"],
        decoder_ffn_dim=4 * dims["n_text_state"],
        max_source_positions=dims["n_audio_ctx"],
        max_target_positions=dims["n_text_ctx"],
        bos_token_id=sot,
        decoder_start_token_id=sot,
        eos_token_id=eos,
        pad_token_id=eos,
        tie_word_embeddings=True,
    )
    generation: dict[str, Any] = {
        "bos_token_id": sot,
        "decoder_start_token_id": sot,
        "eos_token_id": eos,
        "pad_token_id": eos,
        "max_length": dims["n_text_ctx"],
        "no_timestamps_token_id": token_id("<|notimestamps|>"),
        "prev_sot_token_id": token_id("<|startofprev|>"),
        "max_initial_timestamp_index": MAX_INITIAL_TIMESTAMP_INDEX,
        "is_multilingual": multilingual,
        "return_timestamps": False,
        "suppress_tokens": list(ct2_config.get("suppress_ids", [])),
        "begin_suppress_tokens": list(ct2_config.get("suppress_ids_begin", [220, eos])),
        "alignment_heads": [list(pair) for pair in ct2_config.get("alignment_heads", [])],
    }
    if multilingual:
        generation["lang_to_id"] = {
            tokenizer.convert_ids_to_tokens(i): i for i in ct2_config.get("lang_ids", [])
        }
        generation["task_to_id"] = {"transcribe": token_id("<|transcribe|>"), "translate": token_id("<|translate|>")}
    state = {
        transformers_name(name): torch.from_numpy(np.ascontiguousarray(value))
        for name, value in whisper_state_dict(model).items()
    }
    with torch.device("meta"):
        hf_model = WhisperForConditionalGeneration(config)
    missing, unexpected = hf_model.load_state_dict(state, strict=False, assign=True)
    if unexpected or set(missing) - {"proj_out.weight"}:
        raise ConversionError(f"weights do not fit transformers' Whisper: missing {missing}, unexpected {unexpected}")
    hf_model.tie_weights()
    hf_model.generation_config = GenerationConfig(**generation)
    os.makedirs(out_dir, exist_ok=True)
    hf_model.save_pretrained(out_dir)
    WhisperProcessor(
        feature_extractor=WhisperFeatureExtractor(feature_size=dims["n_mels"]), tokenizer=tokenizer
    ).save_pretrained(out_dir)
