"""Language detection from keyword and syntax cues, including OCR slips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archreview.pipeline.language import LANGUAGES, canonical_language, detect_language, language_scores

REPO = Path(__file__).resolve().parents[1]

SNIPPETS: dict[str, str] = {
    "python": '''import os
from dataclasses import dataclass


class UserService:
    def __init__(self, client):
        self._client = client

    def get(self, user_id: int) -> dict:
        if user_id is None:
            raise ValueError("missing id")
        return self._client.fetch(user_id)
''',
    "javascript": '''const express = require("express");
const app = express();

app.get("/users/:id", async (req, res) => {
  const user = await db.find(req.params.id);
  if (user === null) {
    return res.status(404).send();
  }
  console.log(`found ${user.id}`);
  res.json(user);
});
''',
    "typescript": '''import { Injectable } from "@angular/core";

export interface User {
  id: number;
  name: string;
}

export class UserService {
  private readonly cache = new Map<number, User>();

  async load(id: number): Promise<User> {
    const hit = this.cache.get(id);
    return hit ?? (await this.http.get<User>(`/users/${id}`));
  }
}
''',
    "java": '''package com.example.users;

import java.util.List;

public class UserService {
    private final UserRepository repository;

    @Override
    public List<User> findAll() throws SQLException {
        System.out.println("loading");
        return repository.findAll();
    }
}
''',
    "go": '''package main

import (
    "fmt"
)

func main() {
    users, err := load()
    if err != nil {
        panic(err)
    }
    fmt.Println(users)
}
''',
    "c": '''#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    char *buf = malloc(64);
    if (buf == NULL) {
        return 1;
    }
    printf("%s\\n", argv[0]);
    free(buf);
    return 0;
}
''',
    "cpp": '''#include <iostream>
#include <vector>

namespace app {
class Cache {
public:
    void put(const std::string& key) { items_.push_back(key); }
private:
    std::vector<std::string> items_;
};
}
''',
    "csharp": '''using System;
using System.Collections.Generic;

namespace Shop
{
    public class OrderService
    {
        private readonly IRepository _repo;
        public string Name { get; set; }

        public async Task<Order> GetAsync(int id)
        {
            Console.WriteLine("get");
            return await _repo.FindAsync(id);
        }
    }
}
''',
    "rust": '''use std::collections::HashMap;

pub struct Cache {
    items: HashMap<String, u32>,
}

impl Cache {
    pub fn get(&self, key: &str) -> Option<&u32> {
        let mut hits = 0;
        hits += 1;
        println!("{}", hits);
        self.items.get(key)
    }
}
''',
    "ruby": '''require 'json'

class UserService
  attr_reader :client

  def initialize(client)
    @client = client
  end

  def all
    client.users.each do |user|
      puts user.name
    end
  end
end
''',
    "php": '''<?php
namespace App\\Services;

class UserService
{
    public function find($id)
    {
        $user = $this->repo->find($id);
        echo $user->name;
        return $user;
    }
}
''',
    "kotlin": '''package com.example

data class User(val id: Int, val name: String)

class UserService(private val repo: UserRepository) {
    fun find(id: Int): User? {
        val user = repo.find(id) ?: return null
        println(user.name)
        return user
    }
}
''',
}

# What tesseract does to code: curly quotes, `l` for `1`, lost underscores, merged tokens.
OCR_SLIPS: dict[str, str] = {
    "python": '''from typing import Optional


class Cache:
    def __init__(self, size: int = l0):
        self.items = {}

    def get(self, key: str) -> Optional[str]:
        if key not in self.items:
            return None
        return self.items[key]
''',
    "javascript": '''const fs = require(“fs”);

function readConfig(path) {
  const text = fs.readFileSync(path, “utf8”);
  if (text === undefined) return nul;
  return JSON.parse(text);
}
module.exports = { readConfig };
''',
    "typescript": '''export async function load(id: number): Promise<User> {
  const res = await fetch(`/users/${id}`);
  const body: unknown = await res.json();
  return body as User;
}
''',
    "java": '''public class Counter {
    private final Map<String, lnteger> counts = new HashMap<>();

    public void add(String key) {
        counts.merge(key, l, Integer::sum);
        System.out.println(key);
    }
}
''',
}


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_each_language(language: str) -> None:
    assert detect_language(SNIPPETS[language]) == language


@pytest.mark.parametrize("language", sorted(OCR_SLIPS))
def test_survives_ocr_slips(language: str) -> None:
    assert detect_language(OCR_SLIPS[language]) == language


def test_typescript_needs_types_and_javascript_has_none() -> None:
    plain = "const add = (a, b) => a + b;\nconsole.log(add(1, 2));\n"
    typed = "const add = (a: number, b: number): number => a + b;\nconsole.log(add(1, 2));\n"
    assert detect_language(plain) == "javascript"
    assert detect_language(typed) == "typescript"


def test_prose_and_empty_text_are_unknown() -> None:
    assert detect_language("") == "unknown"
    assert detect_language("Meeting notes: ship the release on Friday and call the client.") == "unknown"


def test_scores_cover_every_language() -> None:
    scores = language_scores(SNIPPETS["java"])
    assert set(scores) == set(LANGUAGES)
    assert max(scores, key=lambda name: scores[name]) == "java"


@pytest.mark.parametrize(("given", "expected"), [
    ("py", "python"), ("Python3", "python"), (" JS ", "javascript"), ("tsx", "typescript"), ("java", "java"),
    ("Go", "go"), ("c#", "csharp"), ("Haskell", "haskell"),
])
def test_canonical_language_names_what_it_is_given(given: str, expected: str) -> None:
    assert canonical_language(given, "print('the text is not read when the name says enough')") == expected


@pytest.mark.parametrize("given", ["", "unknown", "text", "plain", "UNKNOWN"])
def test_canonical_language_detects_when_the_name_says_nothing(given: str) -> None:
    assert canonical_language(given, SNIPPETS["rust"]) == "rust"
    assert canonical_language(given, "Meeting notes: ship on Friday.") == "unknown"


_SUFFIX_LANGUAGE = {".py": "python", ".js": "javascript", ".ts": "typescript", ".java": "java"}
_MARKER_RE = re.compile(r"\s*(?:#|//)\s*@flaw\s+[a-z-]+\s*$")


@pytest.mark.parametrize("path", sorted([*(REPO / "samples" / "src").iterdir(),
                                          *(REPO / "benchmarks" / "ocr_snippets").rglob("*.*")]),
                         ids=lambda p: p.name)
def test_every_sample_and_snippet_source_is_recognised(path: Path) -> None:
    text = "\n".join(_MARKER_RE.sub("", line) for line in path.read_text(encoding="utf-8").split("\n"))
    assert detect_language(text) == _SUFFIX_LANGUAGE[path.suffix]
