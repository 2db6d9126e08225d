"""Which counts of people describe a survey's sample, and which samples are one measure
(`sample_keys`): the linker clusters samples by key instead of scoring pairs of them."""

from __future__ import annotations

from collections import defaultdict

from warehouse.link_claims import Node
from warehouse.link_rules import PEOPLE_SAMPLE_LABEL, count_kind
from warehouse.link_waves import publishers_own


def _survey_of(node: Node) -> tuple[str, int | None]:
    """One wave of one study: its samples are one sample or sub-samples of it."""
    return node.study or node.doc_id, node.year


def sample_keys(nodes: list[Node]) -> dict[str, tuple[str, ...]]:
    """Cluster key of every count that describes a survey's sample.

    Samples of different studies are one measure ("survey responses"), whoever was
    asked; but a wave of a study whose documents name several sub-samples ("3,450
    consumers and 1,200 leaders", or a summary that gives only the leaders) keeps them
    apart by group: a sub-sample's size is no conflicting figure of the whole's. So is a
    part the text names as one ("其中在校大学生820人", "davon 150 aus der Industrie")
    when its group was read as the whole's, and each wave of a study fielded several times in one
    year (two polls a fortnight apart) has a sample of its own. Coverage splits no wave
    its study's own documents give whole: "2.205 Erwachsene" in a German article is the
    "2,205 UK adults" of the English release, whatever group each was read as.
    """
    groups_in_survey: dict[tuple[str, int | None], set[str | None]] = defaultdict(set)
    groups_in_waves: dict[tuple[str, int | None], set[str | None]] = defaultdict(set)
    editions_in_year: dict[tuple[str | None, int | None], set[str | None]] = defaultdict(set)
    wholes: set[tuple[str, str | None]] = set()  # (document, group) of whole samples
    for node in nodes:
        if count_kind(node) == PEOPLE_SAMPLE_LABEL and node.sample:
            if _wave_of(node) is not None:  # (coverage without an edition is no wave)
                editions_in_year[(node.study, node.survey_year)].add(_wave_of(node))
            if not node.sub_sample:  # a named part says nothing of how the whole is split
                groups_in_survey[_survey_of(node)].add(node.population)
                if _wave_of(node) is not None:
                    groups_in_waves[_survey_of(node)].add(node.population)
                wholes.add((node.doc_id, node.population))
    keys: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        kind = count_kind(node)
        if kind is None:
            continue
        if not node.sample:  # a count that is a finding ("41,300 people were claiming"):
            continue  # linked by its claim
        # (an earlier wave's sample, another year in the same document, is no sub-sample)
        survey = _survey_of(node)
        groups = groups_in_waves.get(survey) or groups_in_survey[survey]
        several = kind == PEOPLE_SAMPLE_LABEL and len(groups) > 1
        group = str(node.population) if several else "*"
        if node.sub_sample and kind == PEOPLE_SAMPLE_LABEL:  # "of whom 800 were managers"
            whole = (node.doc_id, node.population) in wholes  # a part read as the whole's group
            group = f"part of {node.population}" if whole else str(node.population)
        waves = len(editions_in_year[(node.study, node.survey_year)]) > 1
        keys[node.obs_id] = (kind, group, str(_wave_of(node))) if waves else (kind, group)
    return keys


def _wave_of(node: Node) -> str | None:
    """A figure's wave of its study: its edition, or its document where its publisher names
    no editions (`link_rules.other_waves`: a monthly poll's releases listed by their
    publisher); none for coverage citing the study."""
    return node.edition or (node.doc_id if publishers_own(node) else None)
