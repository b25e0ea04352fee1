package dev.reweigh.demo.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.reweigh.demo.stats.Estimate;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts with XChart (headless): accuracy, paired differences, and a weight histogram. */
public final class Charts {
  private Charts() {}

  /**
   * accuracy.png: greedy test accuracy after the last round per method, with its 95% bootstrap
   * interval as error bars (half the interval's width; the bootstrap intervals are near symmetric).
   */
  public static void accuracy(DemoResult r, Path file) throws IOException {
    CategoryChart chart = new CategoryChartBuilder().width(900).height(560)
        .title("Test accuracy per method (" + r.config().seeds + " seed(s) x " + r.config().test
            + " questions, 95% interval)")
        .xAxisTitle("method").yAxisTitle("greedy test accuracy").build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setXAxisLabelRotation(30);
    List<String> names = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    List<Double> err = new ArrayList<>();
    for (Map.Entry<String, DemoResult.Comparison> e : r.comparisons().entrySet()) {
      names.add(e.getKey());
      y.add(e.getValue().accuracy().value());
      err.add((e.getValue().accuracy().hi() - e.getValue().accuracy().lo()) / 2);
    }
    chart.addSeries("accuracy", names, y, err);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /**
   * differences.png: each method's paired accuracy difference to the base model and to seed-only,
   * with its 95% interval as error bars (half the interval's width), and the zero line.
   */
  public static void differences(DemoResult r, Path file) throws IOException {
    CategoryChart chart = new CategoryChartBuilder().width(900).height(560)
        .title("Paired accuracy difference per method (95% bootstrap interval)")
        .xAxisTitle("method").yAxisTitle("accuracy difference").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
    chart.getStyler().setXAxisLabelRotation(30);
    chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
    List<String> names = new ArrayList<>();
    List<Double> base = new ArrayList<>();
    List<Double> baseErr = new ArrayList<>();
    List<Double> seed = new ArrayList<>();
    List<Double> seedErr = new ArrayList<>();
    for (Map.Entry<String, DemoResult.Comparison> e : r.comparisons().entrySet()) {
      Estimate b = e.getValue().vsBase();
      if (b == null) {
        continue;
      }
      Estimate s = e.getValue().vsSeedOnly() == null ? new Estimate(0, 0, 0) : e.getValue().vsSeedOnly();
      names.add(e.getKey());
      base.add(b.value());
      baseErr.add((b.hi() - b.lo()) / 2);
      seed.add(s.value());
      seedErr.add((s.hi() - s.lo()) / 2);
    }
    if (names.isEmpty()) {
      names.add("-");
      base.add(0.0);
      baseErr.add(0.0);
      seed.add(0.0);
      seedErr.add(0.0);
    }
    CategorySeries zero = chart.addSeries("zero", names, new ArrayList<>(java.util.Collections.nCopies(names.size(), 0.0)));
    zero.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
    zero.setMarker(SeriesMarkers.NONE);
    zero.setLineColor(java.awt.Color.GRAY);
    chart.addSeries("vs base", names, base, baseErr).setMarkerColor(java.awt.Color.BLUE);
    chart.addSeries("vs seed-only (the same training without self-generated data)", names, seed, seedErr)
        .setMarkerColor(java.awt.Color.RED);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /**
   * weights.png: histogram of the weights of kept samples (seed 0, round 1) for the weighted
   * methods (IWSI-w, EAST), split by whether the sample's answer is correct.
   */
  public static void weights(DemoResult r, Path file, List<String> methods) throws IOException {
    List<Double> all = new ArrayList<>();
    for (String name : methods) {
      MethodResult m = r.methods().get(name);
      all.addAll(m.histCorrect);
      all.addAll(m.histIncorrect);
    }
    double max = all.stream().mapToDouble(Double::doubleValue).max().orElse(1.0);
    int bins = 12;
    double width = Math.max(max, 1e-9) / bins;
    List<String> labels = new ArrayList<>();
    for (int b = 0; b < bins; b++) {
      labels.add(String.format("%.2f", (b + 0.5) * width));
    }
    CategoryChart chart = new CategoryChartBuilder().width(900).height(560)
        .title("Weights of kept samples, round 1 (correct vs incorrect answer)")
        .xAxisTitle("weight (bin centre)").yAxisTitle("samples").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setOverlapped(false);
    chart.getStyler().setXAxisLabelRotation(45);
    boolean any = false;
    for (String name : methods) {
      MethodResult m = r.methods().get(name);
      any |= addSeries(chart, name + " correct", m.histCorrect, labels, bins, width);
      any |= addSeries(chart, name + " incorrect", m.histIncorrect, labels, bins, width);
    }
    if (!any) {
      chart.addSeries("no kept samples", labels, new ArrayList<>(java.util.Collections.nCopies(bins, 0)));
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static boolean addSeries(CategoryChart chart, String name, List<Double> w, List<String> labels,
      int bins, double width) {
    if (w.isEmpty()) {
      return false;
    }
    List<Integer> counts = new ArrayList<>(java.util.Collections.nCopies(bins, 0));
    for (double x : w) {
      int b = Math.min(bins - 1, (int) (x / width));
      counts.set(b, counts.get(b) + 1);
    }
    chart.addSeries(name, labels, counts);
    return true;
  }
}
