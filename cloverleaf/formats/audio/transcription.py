"""OpenAI's `POST /audio/transcriptions`: the form the gateway reads, and a transcript rendered
in every `response_format` OpenAI offers that a word-timed transcript can fill."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from cloverleaf.core.errors import bad_request
from cloverleaf.formats.audio.multipart import Form, Part

#: form fields only the gateway reads: never sent upstream
GATEWAY_FIELDS = ("fallbacks",)
FORMATS = frozenset({"json", "verbose_json", "text", "srt", "vtt", "diarized_json"})
#: what a transcript this module renders can be asked for (OpenAI's `diarized_json` needs
#: speakers per segment, which only OpenAI's diarizing model gives)
RENDERED = frozenset({"json", "verbose_json", "text", "srt", "vtt"})
_SENTENCE_END = (".", "?", "!", "\u3002", "\uff1f", "\uff01")  # with CJK full stops
_SEGMENT_WORDS = 30


@dataclass(frozen=True, slots=True)
class TranscriptionRequest:
    form: Form
    model: str
    file: Part
    response_format: str
    language: str | None
    prompt: str | None
    temperature: str | None
    granularities: frozenset[str]
    stream: bool
    fallbacks: tuple[str, ...]


def parse_transcription_form(form: Form) -> TranscriptionRequest:
    """Raise 400 naming the field for a missing `file` or `model` or a value OpenAI refuses."""
    file = form.get("file")
    if file is None or file.filename is None:
        raise bad_request("file is required: the audio file, as a file part", param="file")
    if not file.data:
        raise bad_request("file is empty", param="file")
    model = (form.value("model") or "").strip()
    if not model:
        raise bad_request("model is required", param="model")
    response_format = (form.value("response_format") or "json").strip()
    if response_format not in FORMATS:
        raise bad_request(
            f"response_format must be one of {', '.join(sorted(FORMATS))}",
            param="response_format",
        )
    granularities = frozenset(
        p.text.strip()
        for p in (*form.all("timestamp_granularities[]"), *form.all("timestamp_granularities"))
    )
    if not granularities <= {"word", "segment"}:
        raise bad_request(
            "timestamp_granularities[] takes word and segment", param="timestamp_granularities"
        )
    stream = (form.value("stream") or "false").strip().lower() == "true"
    return TranscriptionRequest(
        form=form,
        model=model,
        file=file,
        response_format=response_format,
        language=form.value("language"),
        prompt=form.value("prompt"),
        temperature=form.value("temperature"),
        granularities=granularities,
        stream=stream,
        fallbacks=tuple(p.text.strip() for p in form.all("fallbacks") if p.text.strip()),
    )


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Transcript:
    """What any speech-to-text upstream answers, before it is rendered for an OpenAI client."""

    text: str
    language: str | None = None
    duration: Decimal | None = None
    words: tuple[Word, ...] = field(default_factory=tuple)


def render_transcript(
    transcript: Transcript, response_format: str, granularities: frozenset[str]
) -> tuple[bytes, str]:
    """The body and content type OpenAI would answer with in `response_format`."""
    if response_format == "text":
        return (transcript.text + "\n").encode(), "text/plain; charset=utf-8"
    if response_format in ("srt", "vtt"):
        return _subtitles(transcript, response_format).encode(), "text/plain; charset=utf-8"
    usage = _usage(transcript.duration)
    if response_format == "json":
        body: dict[str, Any] = {"text": transcript.text}
    else:
        duration = transcript.duration
        body = {
            "task": "transcribe",
            "language": transcript.language or "",
            "duration": float(duration) if duration is not None else _end(transcript),
            "text": transcript.text,
        }
        if "word" in granularities:
            body["words"] = [
                {"word": w.text, "start": w.start, "end": w.end} for w in transcript.words
            ]
        if "segment" in granularities or "word" not in granularities:
            body["segments"] = [_segment(i, *s) for i, s in enumerate(segments(transcript))]
    if usage is not None:
        body["usage"] = usage
    return orjson.dumps(body), "application/json"


def segments(transcript: Transcript) -> list[tuple[float, float, str]]:
    """(start, end, text) spans: words grouped into sentences, or the whole text as one."""
    if not transcript.words:
        return [(0.0, _end(transcript), transcript.text)]
    spans: list[tuple[float, float, str]] = []
    current: list[Word] = []
    for word in transcript.words:
        current.append(word)
        if word.text.endswith(_SENTENCE_END) or len(current) >= _SEGMENT_WORDS:
            spans.append(_span(current))
            current = []
    if current:
        spans.append(_span(current))
    return spans


def _span(words: list[Word]) -> tuple[float, float, str]:
    return words[0].start, words[-1].end, " ".join(w.text for w in words)


def _segment(index: int, start: float, end: float, text: str) -> dict[str, Any]:
    return {
        "id": index,
        "seek": 0,
        "start": start,
        "end": end,
        "text": " " + text,
        "tokens": [],
        "temperature": 0.0,
        "avg_logprob": 0.0,
        "compression_ratio": 0.0,
        "no_speech_prob": 0.0,
    }


def _end(transcript: Transcript) -> float:
    if transcript.duration is not None:
        return float(transcript.duration)
    return max((w.end for w in transcript.words), default=0.0)


def _usage(duration: Decimal | None) -> dict[str, Any] | None:
    """OpenAI's duration usage: whole seconds, rounded up."""
    if duration is None:
        return None
    return {"type": "duration", "seconds": math.ceil(duration)}


def _subtitles(transcript: Transcript, kind: str) -> str:
    separator = "," if kind == "srt" else "."
    lines = ["WEBVTT", ""] if kind == "vtt" else []
    for index, (start, end, text) in enumerate(segments(transcript), 1):
        if kind == "srt":
            lines.append(str(index))
        lines.append(f"{_stamp(start, separator)} --> {_stamp(end, separator)}")
        lines += [text, ""]
    return "\n".join(lines) + "\n"


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"
