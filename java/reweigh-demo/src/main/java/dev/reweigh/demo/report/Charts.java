package dev.reweigh.demo.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** PNG charts with XChart (headless): accuracy per round per method, and a weight histogram. */
public final class Charts {
  private Charts() {}

  /** accuracy.png: mean test accuracy over seeds, per round (0 = base model), one line per method. */
  public static void accuracy(DemoResult r, Path file) throws IOException {
    XYChart chart = new XYChartBuilder().width(900).height(560)
        .title("Test accuracy per self-improvement round (mean over " + r.config().seeds + " seed(s))")
        .xAxisTitle("round").yAxisTitle("accuracy").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setXAxisDecimalPattern("0");
    for (MethodResult m : r.methods().values()) {
      int rounds = m.accuracy[0].length;
      double[] x = new double[rounds];
      double[] y = new double[rounds];
      for (int c = 0; c < rounds; c++) {
        x[c] = c;
        y[c] = MethodResult.mean(m.accuracy, c);
      }
      chart.addSeries(m.name, x, y);
    }
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
