#!/usr/bin/env python3
"""Writes N candidate lines (JSONL, the CLI's snake_case fields) for the spark-weigh benchmark.

Questions of 8 responses, contiguous (the streaming CLI needs that); answers from a small set
with some nulls, a gold answer on every line, losses, log-probs and token counts drawn at random.
Usage: generate.py N OUT.jsonl [SEED]
"""
import random
import sys


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    answers = ['"1"', '"2"', '"3"', '"4"', "null"]
    with open(out, "w", buffering=1 << 22) as f:
        buf = []
        for i in range(n):
            q = i // 8
            buf.append(
                '{"question_id":"q%d","response_id":"r%d","answer":%s,"gold_answer":"%d",'
                '"loss":%.6f,"log_prob_sum":%.6f,"token_count":%d}\n'
                % (q, i, answers[rnd.randrange(5)], 1 + q % 4, 0.05 + 4 * rnd.random(),
                   -40 * rnd.random(), 1 + rnd.randrange(200)))
            if len(buf) == 100000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


if __name__ == "__main__":
    main()
