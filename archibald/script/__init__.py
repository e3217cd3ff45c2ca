"""The pipeline's text stages, local routes: research, concept, script, review, polish, TTS QA,
metadata and subtitles, all offline and deterministic for the same inputs and seed; the topic's
reading (who, when, what for) and the thumbnail's words."""

from archibald.pipelines.meditation.concept import Concept, make_concept
from archibald.pipelines.meditation.editors import EditResult, polish, review
from archibald.pipelines.youtube.metadata import build_metadata, chapters_from_sections
from archibald.script.model import SPEAKING_WPM, Script, Section
from archibald.pipelines.meditation.scoring import score_metadata, score_script
from archibald.pipelines.meditation.research import ResearchBrief, research
from archibald.script.speakable import speakable, speakable_with_changes
from archibald.script.subtitles import build_srt
from archibald.pipelines.meditation.topic import TopicReading, read_topic, thumbnail_words
from archibald.pipelines.meditation.writer import write_script

__all__ = [
    "Concept", "EditResult", "ResearchBrief", "SPEAKING_WPM", "Script", "Section", "TopicReading",
    "build_metadata", "build_srt", "chapters_from_sections", "make_concept", "polish",
    "read_topic", "research", "review", "score_metadata", "score_script", "speakable",
    "speakable_with_changes", "thumbnail_words", "write_script",
]
