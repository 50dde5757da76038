"""The XSS vectors of tests/threads/test_rendering_xss.py plus more, for the end-to-end sweeps."""

from __future__ import annotations

from tests.threads.test_rendering_xss import VECTORS as RENDERING_VECTORS

# Each vector that would run sets window.__xss (the browser sweep looks for it) or opens a dialog.
EXTRA_VECTORS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '<svg/onload="window.__xss=1">',
    '<a href="javascript:window.__xss=1">click</a>',
    "[click](javascript:window.__xss=1)",
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    "</textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    '<isindex type=image src=1 onerror="window.__xss=1">',
    '<marquee onstart="window.__xss=1">x</marquee>',
    '<audio src=x onerror="window.__xss=1">',
    '<keygen autofocus onfocus="window.__xss=1">',
    '<select autofocus onfocus="window.__xss=1">',
    '<textarea autofocus onfocus="window.__xss=1">x</textarea>',
    '<button formaction="javascript:window.__xss=1">x</button>',
    '<a href="https://evil.example/steal" ping="https://evil.example/ping">x</a>',
    '<img src="https://evil.example/track.gif">',
    "![track](https://evil.example/track.gif)",
    "![track](//evil.example/track.gif)",
    '<link rel="prefetch" href="https://evil.example/prefetch">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "<style>@import 'https://evil.example/x.css';</style>",
    '<div style="background-image:url(https://evil.example/bg.png)">x</div>',
    '<object data="https://evil.example/x.swf"></object>',
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/"><input name=q><button>go</button></form>',
    "<template><script>window.__xss=1</script></template>",
    '<xmp><img src=x onerror="window.__xss=1"></xmp>',
    '<noembed><img src=x onerror="window.__xss=1"></noembed>',
    '<a href="jav&#x09;ascript:window.__xss=1">tab</a>',
    "[x](\u200bjavascript:window.__xss=1)",
    '<div data-x="1" onclick="window.__xss=1">x</div>',
    "{{ 7*7 }} {% debug %} ${window.__xss=1}",
]
VECTORS = [*RENDERING_VECTORS, *EXTRA_VECTORS]
