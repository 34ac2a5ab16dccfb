"""Tokenizers per model, loaded from litellm's bundled files only."""

from __future__ import annotations

import os

import pytest

from app.agent.budget import tokenizer as tk


@pytest.mark.parametrize(
    ("model", "name", "approximate"),
    [
        ("openai/gpt-4o", "tiktoken o200k_base", False),
        ("gpt-4.1-mini", "tiktoken o200k_base", False),
        ("azure/gpt-4", "tiktoken cl100k_base", False),
        ("anthropic/claude-sonnet-4-5", "≈ anthropic (claude-2 vocab)", True),
        ("ollama/qwen2.5-coder", "≈ chars/4", True),
    ],
)
def test_the_tokenizer_follows_the_model(model: str, name: str, approximate: bool) -> None:
    tokenizer = tk.tokenizer_for(model)
    assert (tokenizer.name, tokenizer.approximate) == (name, approximate)
    assert tokenizer.count("") == 0
    assert tokenizer.count("def parse(text):\n    return text.split()") > 5


def test_known_counts() -> None:
    assert tk.tokenizer_for("gpt-4o").count("hello world") == 2
    assert tk.CHARS.count("abcdefgh") == 2
    assert tk.CHARS.count("abcdefghi") == 3


def test_special_token_text_is_counted_as_text() -> None:
    assert tk.tokenizer_for("gpt-4o").count("<|endoftext|>") > 1


def test_config_can_force_a_tokenizer() -> None:
    assert tk.tokenizer_for("ollama/llama3", "cl100k_base").name == "tiktoken cl100k_base"
    assert tk.tokenizer_for("gpt-4o", "chars") is tk.CHARS


def test_tiktoken_loads_from_litellm_files_even_when_the_cache_dir_points_elsewhere(tmp_path, monkeypatch) -> None:
    """An empty TIKTOKEN_CACHE_DIR would make tiktoken download; we never let it."""
    import tiktoken.load
    import tiktoken.registry

    def no_network(*args, **kwargs):
        raise AssertionError("tiktoken tried to fetch a file")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})  # forget encodings already loaded
    tk._tiktoken.cache_clear()
    try:
        tokenizer = tk.tokenizer_for("gpt-4")
        assert tokenizer.name == "tiktoken cl100k_base"
        assert tokenizer.count("hello world") == 2
        assert os.environ["TIKTOKEN_CACHE_DIR"] == str(tmp_path)  # restored afterwards
    finally:
        tk._tiktoken.cache_clear()
