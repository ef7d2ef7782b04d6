"""Concepts added for digital, health, agri-food, forestry, textiles, tourism, creative
industries, retail, social economy, education and business services (real public texts)."""

from __future__ import annotations

import pytest

from bot.matching.vocabulary import Vocabulary


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        # digital
        ("a microservice-oriented modular low-code platform for SMEs", "low-code"),
        ("Low Code allows for the creation of custom tools", "low-code"),
        ("special software development methods such as DevOps and CI/CD", "devops"),
        ("a clearly structured database design with referential integrity", "databases"),
        ("Datenbankentwicklung und Datenmanagement für den Mittelstand", "databases"),
        ("ontology-based semantic data interoperability", "knowledge-graphs"),
        ("a dataset catalogue and a knowledge graph", "knowledge-graphs"),
        ("Wissensgraphen und Ontologien für Produktdaten", "knowledge-graphs"),
        ("AI compliance and trustworthy AI for SMEs", "trustworthy-ai"),
        ("Beratung zur KI-Verordnung und zu erklärbarer KI", "trustworthy-ai"),
        ("digital identity and electronic signatures under eIDAS", "digital-identity"),
        ("Lösungen für elektronische Signatur und Identitätsmanagement", "digital-identity"),
        ("a cloud storage-based bioinformatics platform", "bioinformatics"),
        ("Softwaretests und Testautomatisierung", "software-testing"),
        (
            "barrierefreie Websites nach dem Barrierefreiheitsstärkungsgesetz",
            "digital-accessibility",
        ),
        # health
        ("Neue Versorgungsinnovationen und Rehabilitationsmaßnahmen", "rehabilitation"),
        ("Vorsorge- und Reha-Kliniken des Landes", "rehabilitation"),
        ("Orthopädiewerkstätten, Prothesen und Reha-Kliniken", "orthopaedics-prosthetics"),
        ("Orthopädiefachhandel und Zahntechniklabore", "orthopaedics-prosthetics"),
        ("Orthopädiefachhandel und Zahntechniklabore", "dental"),
        ("Wertschöpfung in Zahnarztpraxen gestiegen", "dental"),
        ("dental and medical service providers in the cluster", "dental"),
        ("bispecific immunotherapies in multiple cancer indications", "oncology"),
        ("Forschung in der Onkologie", "oncology"),
        ("a precision-medicine approach to antimicrobial resistance", "personalised-medicine"),
        ("live bacterial prophylactic vaccines", "vaccines"),
        ("European SMEs active in the field of antimicrobial resistance", "infectious-diseases"),
        ("Infektionskrankheiten und Antibiotikaresistenzen", "infectious-diseases"),
        ("a tsunami of mental health issues", "mental-health"),
        ("Gesundheitsförderung, Prävention, Gesundheitstourismus", "public-health"),
        ("Tiergesundheit in der ökologischen Geflügelproduktion", "animal-health"),
        ("Tierhalter beim Tierwohl und Umweltschutz unterstützen", "animal-welfare"),
        ("microbiome-based diagnostics and probiotics", "microbiome"),
        ("cultivation and promotion of medicinal and aromatic plants", "medicinal-plants"),
        ("Apotheken, Biomarker-Firmen und E-Health-Start-ups", "pharmacies"),
        ("Hörakustiker, Augenoptiker und Zahntechniker", "hearing-vision-aids"),
        ("Institut für Med. Mikrobiologie und Krankenhaushygiene", "hygiene-infection-prevention"),
        ("clinical research capability in the region", "clinical-research"),
        # agri-food
        ("Arbeitsgruppen Legehenne, Masthähnchen und Pute", "poultry"),
        ("tierwohlgerechte Haltung von Rindern, Schweinen und Geflügel", "poultry"),
        ("tools for the development of sheep-and-goats and cattle farming", "cattle-sheep-goats"),
        ("an agro-industrial cluster on development of beekeeping", "beekeeping"),
        ("Honig und Bienenprodukte aus der Region", "beekeeping"),
        ("production of olive oil and table olives", "olive-oil"),
        ("Weizen, Gerste und Getreideanbau", "cereals"),
        ("Die Zulassungssituation von Pflanzenschutzmitteln", "crop-protection"),
        ("mit betriebseigenen Düngemitteln dem Kunstdünger entgegenwirken", "fertilisers"),
        ("AgriFood and Nutrition: crop and soil health", "soil-health"),
        ("Bewässerung und Düngung der Felder", "irrigation"),
        ("Tierernährung im Ökologischen Landbau", "animal-feed"),
        ("starter cultures are used as food ingredients", "fermentation"),
        ("starter cultures are used as food ingredients", "food-ingredients"),
        ("development of origin identity and geographical indications", "geographical-indications"),
        ("Mikroalgen als Proteinquelle", "microalgae"),
        ("Agroforstsystemen und Feldrainprojekten", "agroforestry"),
        ("Impulsgeber für ein zukunftsfähiges Lebensmittelsystem", "food-systems"),
        # forestry, wood, furniture
        ("die Holzwerkstoffhersteller in Brandenburg", "wood-based-panels"),
        ("zahlreiche Zimmerei- und Holzbaubetriebe", "joinery-carpentry"),
        ("Verband der Deutschen Polstermöbelindustrie", "upholstered-furniture"),
        ("Ostwestfalen ist stark bei den Küchenmöbeln", "kitchen-furniture"),
        ("witterungsbedingte Risiken und Waldbränden", "forest-fires"),
        ("Massenvermehrungen von Insekten und Waldschäden", "forest-protection"),
        ("Hersteller von Paletten und Holzverpackungen", "wood-packaging"),
        # textiles, fashion, leather
        ("Spinnerei, Weberei, Strickerei und Textilveredelung", "textile-finishing"),
        ("textile, clothing, leather, tanning, shoe manufacturing and jewellery", "jewellery"),
        ("Berufsbekleidung und Arbeitskleidung für das Handwerk", "workwear"),
        ("Leinenindustrie, Baumwoll- und Seidenindustrie", "natural-textile-fibres"),
        ("second-hand clothing and re-commerce", "second-hand"),
        ("Großwäschereien und Mietwäsche für Kliniken", "textile-services"),
        # tourism
        ("das kulinarische Angebot der Gastronomie fördern", "culinary-tourism"),
        ("Geschäftstourismus: Konferenzen, Messen und Meetings", "business-tourism"),
        ("Ausbau der Wanderwege und der Radinfrastruktur", "outdoor-tourism"),
        ("Abenteuer- und Aktivtourismus wie Wandern und Klettern", "outdoor-tourism"),
        ("the most competitive ski cluster in Europe with its ski resorts", "winter-tourism"),
        ("Der Wintertourismus ist hier meistens stärker ausgeprägt", "winter-tourism"),
        ("Partners for cruise tourism marketing in the Baltic", "coastal-tourism"),
        ("Barrierefreier Tourismus für Alle", "accessible-tourism"),
        ("Theme Parks, Casinos, Museums and Golf", "leisure-parks"),
        ("Campingplätze und Wohnmobilstellplätze an der Küste", "camping"),
        # cultural and creative
        (
            "the structure and dynamics of the media industry, from newspapers to journalism",
            "journalism",
        ),
        ("founders use studios, co-working spaces and event spaces", "coworking-makerspaces"),
        ("Einführung in das Kulturmanagement", "cultural-management"),
        ("Digitalisierung des Kulturerbes in Museen", "digital-heritage"),
        ("Medienkompetenz und Medienbildung an Schulen", "media-literacy"),
        # retail and e-commerce
        ("the franchise is actively looking for interested franchisees", "franchising"),
        ("Abholstationen und Click & Collect", "fulfilment"),
        ("Läden in Innenstadtlagen: Belebung der Innenstädte", "city-centre-retail"),
        ("Einkauf im Dorfladen und Nahversorgung in ländlichen Räumen", "local-shops"),
        ("personalfreie Angebote: 24/7-Märkte und Verkaufsautomaten", "vending-self-service"),
        ("combining fair trade with indigenous design", "fair-trade"),
        # social economy
        ("Work Integration Social Enterprises for vulnerable groups", "work-integration"),
        ("Inklusionsbetriebe, in denen Menschen mit Behinderung arbeiten", "work-integration"),
        (
            "the social economy and immigrants, refugees and cultural communities",
            "migrant-integration",
        ),
        ("Deutschkurse für Flüchtlinge und Integrationskurse", "migrant-integration"),
        ("Nahversorgung auf Vereinsbasis und ehrenamtliches Engagement", "volunteering"),
        ("childcare facilities and day-centres for older people", "childcare"),
        ("social housing for the homeless", "social-housing"),
        ("a project that supports women's entrepreneurship", "women-entrepreneurship"),
        (
            "Community-Led Local Development and the LEADER approach",
            "community-led-local-development",
        ),
        # education
        ("Erwachsenenbildung: Integration ist mehr als der Deutschkurs", "adult-education"),
        ("Volkshochschulen in Nordrhein-Westfalen", "adult-education"),
        ("Sprachkurse und Sprachförderung für Zugewanderte", "language-learning"),
        ("Auslandspraktika für Auszubildende", "internships-mobility"),
        ("Entrepreneurial learning and entrepreneurship education", "entrepreneurship-education"),
        ("micro-credentials for upskilling in the creative sector", "micro-credentials"),
        # business services
        ("a national bookkeeping franchise", "accounting-tax"),
        ("accounting, payroll, taxes, benefits, insurance", "accounting-tax"),
        ("Rechtsberatung für Start-ups und Legal Tech", "legal-services"),
        ("Fachübersetzungen und Dolmetscher für Messen", "translation-services"),
        ("Gebäudereinigung und Facility Management", "facility-management"),
        ("temporary employees of staffing suppliers and staffing agencies", "temporary-staffing"),
        ("call centres and shared service centres in Bulgaria", "business-process-outsourcing"),
        ("insurance companies and mutuals worldwide", "insurance"),
    ],
)
def test_real_phrases_map_to_concept(vocab: Vocabulary, text: str, concept: str) -> None:
    assert concept in vocab.extract(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Wir wollen neue Partner finden", "natural-textile-fibres"),
        ("Flachstahl und flache Hierarchien", "natural-textile-fibres"),
        ("a uniform quality across all sites", "workwear"),
        ("Reaktionen der Kunden", "journalism"),
        ("den armen Regionen helfen", "food-ingredients"),
        ("eine breite Palette an Produkten", "wood-packaging"),
        ("VR-Brillen und Datenbrillen", "hearing-vision-aids"),
        ("interpreting the data and translation of research into practice", "translation-services"),
        ("fulfilment of the requirements", "fulfilment"),
        ("co-working with partners across borders", "coworking-makerspaces"),
        ("Dienstreisen der Mitarbeiter", "business-tourism"),
        ("quality insurance for our products", "insurance"),
        ("our office is in the city centre", "city-centre-retail"),
        ("rehabilitation of old buildings", "rehabilitation"),
        ("rehabilitation of contaminated mining sites", "rehabilitation"),
        ("Biogasvergärung von Reststoffen", "fermentation"),
        ("Adressiert werden kleine und junge Unternehmen", "youth-employment"),
        ("Bürgerbeteiligung bei Energieprojekten", "volunteering"),
        ("seed funding for start-ups", "seed-production"),
        ("the exchange of staff and job shadowing", "internships-mobility"),
        ("freiwillige Zertifizierung", "volunteering"),
        ("Praktiken und gute Praxis", "internships-mobility"),
        ("The Technological Centre for the Textile & Clothing Industry", "textile-finishing"),
        ("knowledge graphs and ontologies", "wine"),
        ("Forschung in der Onkologie", "wine"),
        ("market leader in Europe", "community-led-local-development"),
        ("Hochschulen und Fachhochschulen", "childcare"),
    ],
)
def test_wrong_senses_are_not_read(vocab: Vocabulary, text: str, concept: str) -> None:
    assert concept not in vocab.extract(text)


def test_new_relations_point_to_known_concepts(vocab: Vocabulary) -> None:
    for concept_id in ("olive-oil", "textile-finishing", "trustworthy-ai", "migrant-integration"):
        assert vocab.neighbours(concept_id), concept_id
