#include "report/plot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace latentebm {

namespace {

// A gnuplot string literal: double quotes, with \ " and control characters escaped.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// A shell word: single quotes.
std::string shell_word(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

bool gnuplot_available() {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    const auto candidate = fs::path(dir) / "gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

void plot_lines(const std::string& png_path, const std::string& title, const std::string& xlabel,
                const std::string& ylabel, const std::vector<PlotSeries>& series, const PlotOptions& opt) {
  if (!gnuplot_available())
    throw std::runtime_error("cannot draw '" + png_path +
                             "': gnuplot is not installed (or not on PATH); install it with `apt-get install gnuplot-nox` "
                             "(scripts/setup.sh does)");
  if (series.empty()) throw std::invalid_argument("plot_lines('" + png_path + "'): no series to plot");
  for (const auto& s : series)
    if (s.xs.size() != s.ys.size())
      throw std::invalid_argument("plot_lines('" + png_path + "'): series '" + s.name + "' has " +
                                  std::to_string(s.xs.size()) + " x values but " + std::to_string(s.ys.size()) + " y values");

  io::AtomicFile png(png_path, ".png");
  const std::string& tmp_png = png.temp_path();
  const std::string script_path = png_path + ".tmp." + std::to_string(::getpid()) + ".gp";
  const std::string err_path = png_path + ".tmp." + std::to_string(::getpid()) + ".err";
  {
    std::ofstream gp(script_path);
    if (!gp) throw std::runtime_error("cannot write the gnuplot script '" + script_path + "'");
    gp << std::setprecision(17);
    gp << "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) { set terminal pngcairo size " << opt.width << ","
       << opt.height << " enhanced font \"sans,10\" } else { set terminal png size " << opt.width << "," << opt.height
       << " }\n";
    gp << "set output " << quoted(tmp_png) << "\n";
    gp << "set title " << quoted(title) << " noenhanced\n";
    gp << "set xlabel " << quoted(xlabel) << " noenhanced\n";
    gp << "set ylabel " << quoted(ylabel) << " noenhanced\n";
    gp << "set grid\nset key outside right top noenhanced\n";
    if (opt.log_y) gp << "set logscale y\n";
    for (size_t i = 0; i < series.size(); ++i) {
      gp << "$s" << i << " << EOD\n";
      size_t points = 0;
      for (size_t k = 0; k < series[i].xs.size(); ++k)
        if (std::isfinite(series[i].xs[k]) && std::isfinite(series[i].ys[k]) && (!opt.log_y || series[i].ys[k] > 0)) {
          gp << series[i].xs[k] << " " << series[i].ys[k] << "\n";
          ++points;
        }
      if (points == 0) gp << "NaN NaN\n";  // keeps the series in the legend
      gp << "EOD\n";
    }
    gp << "plot ";
    for (size_t i = 0; i < series.size(); ++i)
      gp << (i ? ", " : "") << "$s" << i << " using 1:2 with linespoints pointsize 0.5 title " << quoted(series[i].name);
    gp << "\nset output\n";
  }
  const std::string cmd = "gnuplot " + shell_word(script_path) + " 2> " + shell_word(err_path);
  const int status = std::system(cmd.c_str());
  std::string err;
  {
    std::ifstream in(err_path);
    std::stringstream ss;
    ss << in.rdbuf();
    err = ss.str();
  }
  std::error_code ec;
  fs::remove(script_path, ec);
  fs::remove(err_path, ec);
  if (status != 0 || !fs::exists(tmp_png) || fs::file_size(tmp_png) == 0) {
    throw std::runtime_error("gnuplot failed to draw '" + png_path + "' (status " + std::to_string(status) + "): " + err);
  }
  png.commit();
}

}  // namespace latentebm
