package dev.reweigh.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every reference to the repository's documentation resolves: each {@code docs/NAME.md} that a file
 * cites exists, and so does each section it cites ({@code docs/design.md §3.1}, {@code §3 and §4});
 * a relative Markdown link to a {@code .md} file points at a file; nothing cites design notes that
 * are not in the repository, and no comment narrates the project's history (docs/style.md §4).
 *
 * <p>Scans the files Git tracks (every file below the repository root, minus build output, when
 * Git is not available). {@code CHANGELOG.md} is exempt: it records names that no longer exist.
 */
class DocReferencesTest {

  /** {@code docs/design.md} optionally followed by sections: {@code §3.1}, {@code §3 and §4}. */
  private static final Pattern DOC_REF =
      Pattern.compile("docs/([a-z0-9_-]+\\.md)((?:(?:\\s*,\\s*|\\s+and\\s+|\\s+or\\s+|\\s+)§[0-9.]*[0-9])*)");

  private static final Pattern SECTION = Pattern.compile("§([0-9]+(?:\\.[0-9]+)*)");

  /** A numbered heading: {@code ## 3. Title} or {@code ### 3.1 Title}. */
  private static final Pattern HEADING =
      Pattern.compile("(?m)^#{1,6}\\s+([0-9]+(?:\\.[0-9]+)*)\\.?\\s");

  /** A relative Markdown link to a .md file, e.g. {@code [methods](../../docs/methods.md)}. */
  private static final Pattern MD_LINK = Pattern.compile("\\]\\(([^)#:\\s]+\\.md)(?:#[^)]*)?\\)");

  /** Team-note names that are not part of the repository. */
  private static final Pattern FOREIGN =
      Pattern.compile("(?<![a-z/])(?:DESIGN|METHODS|STYLE|TOOLCHAIN)\\.md|\\.\\./shared/");

  /** Comments that narrate history instead of describing the code. */
  private static final Pattern HISTORY =
      Pattern.compile("(?i)appended for issue|untested here|added for issue");

  // The CHANGELOG records renames, which name files that no longer exist.
  private static final Set<String> EXEMPT = Set.of("CHANGELOG.md");

  @Test
  void everyCitedDocAndSectionExists() throws IOException {
    Path root = repositoryRoot();
    List<String> problems = new ArrayList<>();
    int refs = 0;
    for (Path file : textFiles(root)) {
      String rel = root.relativize(file).toString().replace('\\', '/');
      if (EXEMPT.contains(rel) || rel.endsWith("DocReferencesTest.java")) {
        continue;
      }
      String text = read(file);
      if (text == null) {
        continue;
      }
      Matcher m = DOC_REF.matcher(text);
      while (m.find()) {
        refs++;
        Path doc = root.resolve("docs").resolve(m.group(1));
        String where = rel + ":" + line(text, m.start());
        if (!Files.isRegularFile(doc)) {
          problems.add(where + ": docs/" + m.group(1) + " does not exist");
          continue;
        }
        Set<String> sections = sections(doc);
        Matcher s = SECTION.matcher(m.group(2));
        while (s.find()) {
          if (!sections.contains(s.group(1))) {
            problems.add(where + ": docs/" + m.group(1) + " has no section " + s.group(1));
          }
        }
      }
      if (rel.endsWith(".md")) {
        Matcher l = MD_LINK.matcher(text);
        while (l.find()) {
          if (!Files.exists(file.getParent().resolve(l.group(1)).normalize())) {
            problems.add(rel + ":" + line(text, l.start()) + ": link to missing " + l.group(1));
          }
        }
      }
      Matcher f = FOREIGN.matcher(text);
      while (f.find()) {
        problems.add(rel + ":" + line(text, f.start()) + ": cites " + f.group() + ", which is not in"
            + " the repository; cite docs/ instead");
      }
      Matcher h = HISTORY.matcher(text);
      while (h.find()) {
        problems.add(rel + ":" + line(text, h.start()) + ": history in a comment: " + h.group());
      }
    }
    assertTrue(refs > 50, "found only " + refs + " docs/ references: is the scan reading the tree?");
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
  }

  @Test
  void sectionParserReadsNumberedHeadings() throws IOException {
    Set<String> s = sections(repositoryRoot().resolve("docs/design.md"));
    assertTrue(s.containsAll(Set.of("1", "3", "3.1", "3.4", "8")), s::toString);
    assertTrue(!s.contains("9") && !s.contains("3.10"), s::toString);
  }

  private static Set<String> sections(Path doc) throws IOException {
    Set<String> out = new HashSet<>();
    Matcher m = HEADING.matcher(Files.readString(doc, StandardCharsets.UTF_8));
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static int line(String text, int offset) {
    int n = 1;
    for (int i = 0; i < offset; i++) {
      if (text.charAt(i) == '\n') {
        n++;
      }
    }
    return n;
  }

  /** UTF-8 text, or null for a binary or oversized file. */
  private static String read(Path file) throws IOException {
    if (Files.size(file) > 2_000_000) {
      return null;
    }
    byte[] bytes = Files.readAllBytes(file);
    for (int i = 0; i < Math.min(bytes.length, 8192); i++) {
      if (bytes[i] == 0) {
        return null;
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null) {
      if (Files.isRegularFile(p.resolve("docs/README.md")) && Files.isDirectory(p.resolve("native"))) {
        return p;
      }
      p = p.getParent();
    }
    throw new IllegalStateException("no repository root (docs/README.md) above " + Path.of("").toAbsolutePath());
  }

  private static List<Path> textFiles(Path root) throws IOException {
    try {
      Process git =
          new ProcessBuilder("git", "ls-files", "-z").directory(root.toFile()).redirectErrorStream(false).start();
      byte[] out = git.getInputStream().readAllBytes();
      if (git.waitFor() == 0 && out.length > 0) {
        List<Path> files = new ArrayList<>();
        for (String name : new String(out, StandardCharsets.UTF_8).split("\0")) {
          Path f = root.resolve(name);
          if (!name.isEmpty() && Files.isRegularFile(f)) {
            files.add(f);
          }
        }
        return files;
      }
    } catch (IOException e) {
      // No git on this machine: walk the tree below.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile)
          .filter(f -> !isBuildOutput(root.relativize(f)))
          .collect(Collectors.toList());
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static boolean isBuildOutput(Path rel) {
    for (Path part : rel) {
      String s = part.toString();
      if (s.equals("target") || s.equals(".git") || s.startsWith("build")) {
        return true;
      }
    }
    return false;
  }
}
