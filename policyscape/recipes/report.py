"""The reproduction report as one self-contained HTML document (figures embedded as data URIs).

``render_html(sections, out)`` takes the per-recipe sections of ``recipes.reproduce.assess_recipe``:
an overview table of every claim with its verdict, then one section per recipe with its claims
(paper's sentence, what we measured, verdict, note), the figures each claim rests on, and the
recipe's other figures. Nothing is fetched from outside: it reads offline.
"""

from __future__ import annotations

import base64
import html
import json
from datetime import UTC, datetime
from pathlib import Path

from policyscape.recipes.verdicts import FAILS, HOLDS, NOT_RUN, PARTLY, VERDICTS

VERDICT_COLOURS = {HOLDS: "#1a7f37", PARTLY: "#9a6700", FAILS: "#cf222e", NOT_RUN: "#6e7781"}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1.5em; color: #1f2328; line-height: 1.5; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.3em; margin-top: 2em; }
.meta { color: #59636e; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #d0d7de; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.verdict { display: inline-block; padding: 0.05em 0.6em; border-radius: 1em; color: white; font-weight: 600;
           font-size: 0.85em; white-space: nowrap; }
.claim { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.8em 1em; margin: 1em 0; }
.claim p { margin: 0.3em 0; } .label { color: #59636e; font-weight: 600; }
.note { background: #fff8c5; padding: 0.4em 0.6em; border-radius: 4px; }
figure { margin: 1em 0; } figure img { max-width: min(100%, 720px); border: 1px solid #eaeef2; }
.gallery figure img { max-width: 100%; }
figcaption { color: #59636e; font-size: 0.9em; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 1em; }
"""


def _e(text) -> str:
    return html.escape(str(text))


def verdict_badge(verdict: str) -> str:
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    return f'<span class="verdict" style="background:{VERDICT_COLOURS[verdict]}">{_e(verdict)}</span>'


def embed_png(path: Path) -> str:
    """An ``<img>`` with the PNG inlined; a visible note (not a broken image) if the file is missing."""
    if not path.is_file():
        return f'<p class="note">figure {_e(path.name)} is missing</p>'
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{_e(path.name)}" src="data:image/png;base64,{data}">'


def _figure(recipe_dir: Path, rel: str, caption: str) -> str:
    return f"<figure>{embed_png(recipe_dir / rel)}<figcaption>{_e(caption)}</figcaption></figure>"


def _claim_html(claim, recipe_dir: Path, captions: dict[str, str], shown: set[str]) -> str:
    """One claim's box; a figure already shown in this section is referred to, not repeated (``shown`` grows)."""
    parts = [f'<div class="claim" id="{_e(claim.recipe)}-{_e(claim.key)}">',
             f"<p>{verdict_badge(claim.verdict)} <strong>{_e(claim.claim)}</strong></p>",
             f'<p><span class="label">Measured:</span> {_e(claim.measured)}</p>']
    if claim.note:
        parts.append(f'<p class="note"><span class="label">Note:</span> {_e(claim.note)}</p>')
    for rel in claim.figures:
        if rel in shown:
            parts.append(f'<p class="meta">See the figure above: {_e(captions.get(rel, rel))}</p>')
        else:
            parts.append(_figure(recipe_dir, rel, captions.get(rel, rel)))
            shown.add(rel)
    if claim.evidence:
        parts.append(f"<details><summary>numbers behind the verdict</summary><pre>"
                     f"{_e(json.dumps(claim.evidence, indent=1, default=str))}</pre></details>")
    parts.append("</div>")
    return "\n".join(parts)


def _section_html(section: dict, out: Path) -> str:
    recipe_dir = out / section["name"]
    captions = {f.path: f.caption for f in section["figures"]}
    if section["budget"]:
        status = f"{_e(section['budget'])} budget, {section['seconds']:.0f} s"
    else:
        status = "not run"
    times = ", ".join(f"{b}: {t}" for b, t in section["expected_time"].items())
    parts = [f'<section id="{_e(section["name"])}">',
             f"<h2>{_e(section['title'])} <code>{_e(section['name'])}</code></h2>",
             f"<p>{_e(section['summary'])}</p>",
             f'<p class="meta">Run: {status}. Expected time on 2 cores — {_e(times)}.</p>']
    if section["error"]:
        parts.append(f"<details open><summary>the recipe failed</summary><pre>{_e(section['error'])}</pre></details>")
    shown: set[str] = set()
    parts += [_claim_html(c, recipe_dir, captions, shown) for c in section["claims"]]
    rest = [f for f in section["figures"] if f.path not in shown]
    if rest:
        parts.append("<h3>More figures</h3><div class=\"gallery\">")
        parts += [_figure(recipe_dir, f.path, f.caption) for f in rest]
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def render_html(sections: list[dict], out: Path) -> str:
    """The whole report (module docstring)."""
    claims = [c for s in sections for c in s["claims"]]
    counts = {v: sum(c.verdict == v for c in claims) for v in VERDICTS}
    rows = "\n".join(
        f'<tr><td><a href="#{_e(c.recipe)}">{_e(c.recipe)}</a></td><td>{_e(c.claim)}</td>'
        f"<td>{_e(c.measured)}</td><td>{verdict_badge(c.verdict)}</td></tr>"
        for c in claims
    )
    versions = next((s.get("versions") for s in sections if s.get("versions")), None) or {}
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(_section_html(s, out) for s in sections)
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>policyscape: reproducing Ahmed et al. (2019)</title>
<style>{CSS}</style></head>
<body>
<h1>Understanding the Impact of Entropy on Policy Optimization — reproduced</h1>
<p class="meta">Ahmed, Le Roux, Norouzi, Schuurmans (ICML 2019), re-run with policyscape. Generated {generated}.
{_e(', '.join(f'{k} {v}' for k, v in versions.items()))}</p>
<p>Each section below is one experiment of the paper: the paper's claim in one sentence, what we measured
(with a 95% confidence interval or the spread over seeds), and a verdict computed from the measurement:
<b>holds</b> (supported beyond the uncertainty), <b>partly</b> (leaning towards the claim but not decided, weaker than
claimed, or only some parts hold), <b>does not hold</b> (contradicted beyond the uncertainty), <b>not run</b>.
Where we disagree with the paper, the claim says so in a note. The same table is in <code>claims.json</code>.</p>
<h2>Overview</h2>
<p>{_e(summary)}.</p>
<table><tr><th>recipe</th><th>claim</th><th>measured</th><th>verdict</th></tr>
{rows}
</table>
{body}
</body></html>
"""


__all__ = ["render_html", "verdict_badge"]
