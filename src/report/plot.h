#pragma once
// Line plots as PNG files, drawn by gnuplot (Debian package gnuplot-nox; the
// pngcairo terminal when gnuplot has it, else png). Used for curves such as
// the NCE loss of each stage over training (paper Fig. 4).
#include <string>
#include <vector>

namespace latentebm {

struct PlotSeries {
  std::string name;
  std::vector<double> xs, ys;  // same length; non-finite points are skipped
};

struct PlotOptions {
  int width = 800, height = 500;
  bool log_y = false;
};

// Writes `png_path` (atomically). Throws when gnuplot is not installed (the
// message says how to install it), when a series' xs and ys differ in length,
// or when gnuplot fails (with its error output).
void plot_lines(const std::string& png_path, const std::string& title, const std::string& xlabel,
                const std::string& ylabel, const std::vector<PlotSeries>& series, const PlotOptions& opt = {});

// True when a `gnuplot` executable is on PATH.
bool gnuplot_available();

}  // namespace latentebm
