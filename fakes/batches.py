"""Loopback fakes of the three batch APIs, served by `fakes.server.FakeServer`.

* OpenAI Batch under `/v1`: `POST /files` (multipart, purpose `batch`), `GET /files/{id}`,
  `GET /files/{id}/content`, `POST /batches`, `GET /batches[?limit]`, `GET /batches/{id}`,
  `POST /batches/{id}/cancel`; output and error files in the API's JSONL shapes.
* Anthropic Message Batches: `POST /v1/messages/batches`, `GET …[?limit]`, `GET …/{id}`,
  `POST …/{id}/cancel`, `GET …/{id}/results` (JSONL).
* Gemini Batch Mode under `/v1beta`: `POST /models/{model}:batchGenerateContent` (inline
  requests), `GET /batches[?pageSize]`, `GET /batches/{id}`, `POST /batches/{id}:cancel`;
  a finished operation carries `response.inlinedResponses`.

A batch ends `batch_delay` seconds after it was created (its state moves on when polled,
as a real one does between polls). Each request is answered by the server's script when the
batch ends; a reply whose `fault` is an HTTP fault ("500", "429", "bad_request", …) or that
the API's rules refuse becomes that request's error line (a partial failure). `outcomes`
says, per batch in creation order, "expire" (the first half of the requests run, the rest
expire), "fail" (the batch fails: OpenAI validation, Gemini BATCH_STATE_FAILED, Anthropic
every request errored) or None. A cancel ends the batch at once with no request run. Every
submitted request is logged (`op: "submit"`, with `custom_id` and `body`), as is every
other batch call (`op`: create, poll, list, cancel, results), so a test can prove nothing
was submitted twice. What the APIs refuse is refused: a duplicate or malformed custom_id,
mixed models, a line for another endpoint, `stream` in a batch, an empty batch.
"""

from __future__ import annotations

from aiohttp import web

from fakes.batch_anthropic import AnthropicBatches
from fakes.batch_core import Outcomes
from fakes.batch_gemini import GeminiBatches
from fakes.batch_openai import OpenAIBatches

__all__ = ["BatchFakes", "Outcomes"]


class BatchFakes(OpenAIBatches, AnthropicBatches, GeminiBatches):
    """The three batch APIs on one server (their state in `BatchCore`)."""

    # ---- routes ------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/v1/files", self._openai_upload)
        r.add_get("/v1/files/{id}", self._openai_file)
        r.add_get("/v1/files/{id}/content", self._openai_content)
        r.add_post("/v1/batches", self._openai_create)
        r.add_get("/v1/batches", self._openai_list)
        r.add_get("/v1/batches/{id}", self._openai_get)
        r.add_post("/v1/batches/{id}/cancel", self._openai_cancel)
        r.add_post("/v1/messages/batches", self._anthropic_create)
        r.add_get("/v1/messages/batches", self._anthropic_list)
        r.add_get("/v1/messages/batches/{id}", self._anthropic_get)
        r.add_post("/v1/messages/batches/{id}/cancel", self._anthropic_cancel)
        r.add_get("/v1/messages/batches/{id}/results", self._anthropic_results)
        r.add_post("/v1beta/models/{model}:batchGenerateContent", self._gemini_create)
        r.add_get("/v1beta/batches", self._gemini_list)
        r.add_get("/v1beta/batches/{id}", self._gemini_get)
        r.add_post("/v1beta/batches/{id}:cancel", self._gemini_cancel)
