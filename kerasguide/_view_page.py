"""The HTML of an interactive diagram (see ``view.py``): inline SVG, CSS and script only.

Nothing is fetched from anywhere, so the view works offline, in a notebook, in a saved
HTML file and on the course website. The script finds its own root element, so
several views can share a page.
"""

from __future__ import annotations

import html
import json
import re

STYLE = """
.kg-view{position:relative;font:13px/1.35 system-ui,-apple-system,"Segoe UI",sans-serif;
 border:1px solid #d6d6e0;border-radius:6px;background:#fff;overflow:hidden;
 color:#1a1a1a;max-width:100%}
.kg-view .kg-bar{display:flex;gap:6px;align-items:center;padding:4px 8px;
 background:#f4f4f8;border-bottom:1px solid #e0e0ea}
.kg-view .kg-bar button{font:inherit;padding:1px 9px;border:1px solid #b9b9c9;
 border-radius:4px;background:#fff;cursor:pointer}
.kg-view .kg-bar span{color:#555;margin-left:6px}
.kg-view .kg-pane{height:var(--kg-height);cursor:grab;touch-action:none}
.kg-view .kg-pane.kg-drag{cursor:grabbing}
.kg-view .kg-pane svg{width:100%;height:100%;display:block}
.kg-view svg g[id^="text"],.kg-view svg text{pointer-events:none}
.kg-view svg g[id^="node:"]{cursor:help}
.kg-view svg g[id^="node:"].kg-opens{cursor:zoom-in}
.kg-view svg g[id^="node:"]:hover path{stroke:#1f5fbf;stroke-width:2.5}
.kg-view .kg-tip{position:absolute;display:none;z-index:3;max-width:420px;
 background:#fffff2;border:1px solid #9a9a70;border-radius:5px;padding:6px 9px;
 box-shadow:0 2px 8px rgba(0,0,0,.18);pointer-events:none}
.kg-view .kg-tip b{display:block;margin-bottom:2px}
.kg-view .kg-tip pre{margin:4px 0 0;font:12px/1.3 ui-monospace,Menlo,Consolas,monospace;
 white-space:pre-wrap;background:#f6f6ea;padding:4px 6px;border-radius:3px}
.kg-view .kg-open{position:absolute;inset:0;display:none;z-index:2;background:#fff;
 flex-direction:column}
.kg-view .kg-open.kg-shown{display:flex}
.kg-view .kg-open .kg-pane{height:var(--kg-height)}
"""

SCRIPT = r"""
(function(){
 const root=document.getElementById(ROOT_ID);if(!root||root.dataset.ready)return;
 root.dataset.ready="1";
 const info=JSON.parse(root.querySelector("script.kg-info").textContent);
 const tip=root.querySelector(".kg-tip");
 const ents={"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"};
 const esc=s=>String(s).replace(/[&<>"]/g,c=>ents[c]);
 function panZoom(pane,readable){
  const svg=pane.querySelector("svg");const full=svg.viewBox.baseVal;
  const home=[full.x,full.y,full.width,full.height];let box=home.slice();
  const set=()=>svg.setAttribute("viewBox",box.join(" "));
  const w=pane.clientWidth*0.72,h=pane.clientHeight*0.72;  // points at 100 px per inch
  if(readable&&(full.width>w||full.height>h)){
   box=[full.x+Math.max(0,(full.width-w)/2),full.y,w,h];set();}
  const zoom=(k,cx,cy)=>{
   const r=svg.getBoundingClientRect();
   const x=box[0]+box[2]*((cx??r.left+r.width/2)-r.left)/r.width;
   const y=box[1]+box[3]*((cy??r.top+r.height/2)-r.top)/r.height;
   box=[x-(x-box[0])*k,y-(y-box[1])*k,box[2]*k,box[3]*k];set();};
  pane.addEventListener("wheel",e=>{
   e.preventDefault();zoom(e.deltaY>0?1.15:1/1.15,e.clientX,e.clientY);},{passive:false});
  let drag=null;
  pane.addEventListener("pointerdown",e=>{
   drag=[e.clientX,e.clientY,box[0],box[1],false];pane.classList.add("kg-drag");});
  window.addEventListener("pointerup",()=>{
   if(drag)setTimeout(()=>{drag=null;},0);pane.classList.remove("kg-drag");});
  pane.addEventListener("pointermove",e=>{
   if(!drag||!(e.buttons&1))return;
   const r=svg.getBoundingClientRect();const s=Math.max(box[2]/r.width,box[3]/r.height);
   const dx=e.clientX-drag[0],dy=e.clientY-drag[1];
   if(Math.abs(dx)+Math.abs(dy)>3)drag[4]=true;
   box[0]=drag[2]-dx*s;box[1]=drag[3]-dy*s;set();});
  return {zoom,fit:()=>{box=home.slice();set();},moved:()=>drag&&drag[4]};
 }
 function show(d,e){
  tip.innerHTML="<b>"+esc(d.title)+"</b>"+d.rows.map(esc).join("<br>")+
   (d.config?"<pre>"+esc(d.config)+"</pre>":"");
  tip.style.display="block";place(e);}
 function place(e){
  const r=root.getBoundingClientRect();let x=e.clientX-r.left+14,y=e.clientY-r.top+14;
  if(x+tip.offsetWidth>r.width)x=Math.max(0,e.clientX-r.left-tip.offsetWidth-14);
  if(y+tip.offsetHeight>r.height)y=Math.max(0,e.clientY-r.top-tip.offsetHeight-14);
  tip.style.left=x+"px";tip.style.top=y+"px";}
 function wire(pane,readable){
  const pz=panZoom(pane,readable);
  pane.querySelectorAll('g[id^="node:"]').forEach(g=>{
   const d=info.boxes[g.id.slice(5)];if(!d)return;
   if(d.open!=null)g.classList.add("kg-opens");
   g.addEventListener("mouseenter",e=>show(d,e));
   g.addEventListener("mousemove",place);
   g.addEventListener("mouseleave",()=>{tip.style.display="none";});
   g.addEventListener("click",()=>{
    if(d.open==null||pz.moved())return;
    tip.style.display="none";
    const layer=root.querySelectorAll(".kg-open")[d.open];layer.classList.add("kg-shown");
    if(!layer.dataset.wired){layer.dataset.wired="1";wire(layer.querySelector(".kg-pane"),true);}});
  });
  return pz;
 }
 const main=wire(root.querySelector(".kg-main"),false);
 root.querySelector(".kg-in").onclick=()=>main.zoom(1/1.4);
 root.querySelector(".kg-out").onclick=()=>main.zoom(1.4);
 root.querySelector(".kg-fit").onclick=()=>main.fit();
 const hide=()=>root.querySelectorAll(".kg-open").forEach(o=>o.classList.remove("kg-shown"));
 root.querySelectorAll(".kg-close").forEach(b=>{b.onclick=hide;});
 root.addEventListener("keydown",e=>{if(e.key==="Escape")hide();});
})();
"""


def svg_element(svg: str) -> str:
    """The ``<svg>`` element of a matplotlib SVG file, without its XML prologue."""
    start = svg.index("<svg")
    return svg[start:]


def page(
    root_id: str, title: str, main: str, opened: list[tuple[str, str]], boxes: dict[str, object]
) -> str:
    """The view's HTML fragment: a toolbar, the diagram, one hidden layer per opened block."""
    height = _height(main)
    data = json.dumps({"boxes": boxes}, ensure_ascii=False).replace("</", "<\\/")
    layers = "".join(
        f'<div class="kg-open"><div class="kg-bar"><button class="kg-close">✕ close</button>'
        f"<span>{html.escape(name)}</span></div>"
        f'<div class="kg-pane">{svg}</div></div>'
        for name, svg in opened
    )
    script = SCRIPT.replace("ROOT_ID", json.dumps(root_id))
    return (
        f'<div class="kg-view" id="{root_id}" tabindex="0" style="--kg-height:{height}px">'
        f"<style>{STYLE}</style>"
        '<div class="kg-bar"><button class="kg-in" title="zoom in">+</button>'
        '<button class="kg-out" title="zoom out">−</button>'
        '<button class="kg-fit" title="the whole diagram">fit</button>'
        f"<span>{html.escape(title)}: scroll to zoom, drag to move, hover over a box for"
        " its details, click a folded block to open it</span></div>"
        f'<div class="kg-pane kg-main">{main}</div>{layers}<div class="kg-tip"></div>'
        f'<script type="application/json" class="kg-info">{data}</script>'
        f"<script>{script}</script></div>"
    )


def document(fragment: str, title: str) -> str:
    """A whole HTML page around a view's fragment (for a saved file)."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body style="margin:12px">{fragment}</body></html>\n'
    )


def _height(svg: str) -> int:
    """Pixels for the view: the diagram's height at 100 px per inch, within 360-720."""
    found = re.search(r'height="([\d.]+)pt"', svg)
    points = float(found.group(1)) if found else 500.0
    return int(min(max(points * 100 / 72, 360), 720))
