"""Regions of the eligible countries: the names people type where a country is asked
("Bayern" means Germany), and which public holidays of the ``holidays`` package apply to a
city's region (GeoNames ``admin1`` codes to the package's subdivisions).

Pure data and lookups. The typed names cover the regions people are likely to name instead
of their country: German and Austrian Länder, Spanish autonomous communities, Italian regions,
Belgian regions, French regions, the Portuguese islands and the Algarve, in English, German and
the local language. Names shared by two countries (Limburg, Brabant) are left out. Every
country here is written without an article in German, so "{region} liegt in {country}" reads
right.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.matching.normalise import normalise


@dataclass(frozen=True)
class Region:
    """A region as people name it; ``holidays``: the package's subdivision, if it has one."""

    country: str
    en: str
    de: str
    also: tuple[str, ...] = ()
    holidays: str | None = None

    @property
    def key(self) -> str:
        """A stable id: the country and the English name."""
        return f"{self.country}:{self.en}"

    def name(self, lang: str) -> str:
        """The region's name in the reader's language."""
        return self.de if lang == "de" else self.en


def _r(country: str, en: str, de: str, *also: str, holidays: str | None = None) -> Region:
    return Region(country, en, de, also, holidays)


REGIONS: tuple[Region, ...] = (
    # Germany: the 16 Länder (ISO 3166-2:DE, the holidays package's codes)
    _r("DE", "Baden-Württemberg", "Baden-Württemberg", holidays="BW"),
    _r("DE", "Bavaria", "Bayern", "Freistaat Bayern", "Bavarian", holidays="BY"),
    _r("DE", "Berlin", "Berlin", holidays="BE"),
    _r("DE", "Brandenburg", "Brandenburg", holidays="BB"),
    _r("DE", "Bremen", "Bremen", holidays="HB"),
    _r("DE", "Hamburg", "Hamburg", holidays="HH"),
    _r("DE", "Hesse", "Hessen", holidays="HE"),
    _r("DE", "Lower Saxony", "Niedersachsen", holidays="NI"),
    _r("DE", "Mecklenburg-Western Pomerania", "Mecklenburg-Vorpommern", holidays="MV"),
    _r("DE", "North Rhine-Westphalia", "Nordrhein-Westfalen", "NRW", holidays="NW"),
    _r("DE", "Rhineland-Palatinate", "Rheinland-Pfalz", holidays="RP"),
    _r("DE", "Saarland", "Saarland", holidays="SL"),
    _r("DE", "Saxony", "Sachsen", "Freistaat Sachsen", holidays="SN"),
    _r("DE", "Saxony-Anhalt", "Sachsen-Anhalt", holidays="ST"),
    _r("DE", "Schleswig-Holstein", "Schleswig-Holstein", holidays="SH"),
    _r("DE", "Thuringia", "Thüringen", "Freistaat Thüringen", holidays="TH"),
    # Austria: the 9 Länder (ISO 3166-2:AT numbers)
    _r("AT", "Burgenland", "Burgenland", holidays="1"),
    _r("AT", "Carinthia", "Kärnten", holidays="2"),
    _r("AT", "Lower Austria", "Niederösterreich", holidays="3"),
    _r("AT", "Upper Austria", "Oberösterreich", holidays="4"),
    _r("AT", "Salzburg", "Salzburg", "Salzburger Land", holidays="5"),
    _r("AT", "Styria", "Steiermark", holidays="6"),
    _r("AT", "Tyrol", "Tirol", holidays="7"),
    _r("AT", "Vorarlberg", "Vorarlberg", holidays="8"),
    _r("AT", "Vienna", "Wien", holidays="9"),
    # Spain: the 17 autonomous communities and the two autonomous cities
    _r("ES", "Andalusia", "Andalusien", "Andalucía", holidays="AN"),
    _r("ES", "Aragon", "Aragonien", "Aragón", holidays="AR"),
    _r("ES", "Asturias", "Asturien", "Principado de Asturias", holidays="AS"),
    _r(
        "ES",
        "Balearic Islands",
        "Balearen",
        "Illes Balears",
        "Islas Baleares",
        "Mallorca",
        holidays="IB",
    ),
    _r("ES", "Basque Country", "Baskenland", "País Vasco", "Euskadi", holidays="PV"),
    _r(
        "ES",
        "Canary Islands",
        "Kanarische Inseln",
        "Kanaren",
        "Canarias",
        "Islas Canarias",
        holidays="CN",
    ),
    _r("ES", "Cantabria", "Kantabrien", holidays="CB"),
    _r("ES", "Castile and León", "Kastilien und León", "Castilla y León", holidays="CL"),
    _r(
        "ES",
        "Castilla–La Mancha",
        "Kastilien-La Mancha",
        "Castilla-La Mancha",
        "La Mancha",
        holidays="CM",
    ),
    _r("ES", "Catalonia", "Katalonien", "Cataluña", "Catalunya", holidays="CT"),
    _r("ES", "Extremadura", "Extremadura", holidays="EX"),
    _r("ES", "Galicia", "Galicien", "Galiza", holidays="GA"),
    _r("ES", "La Rioja", "La Rioja", "Rioja", holidays="RI"),
    _r(
        "ES",
        "Community of Madrid",
        "Autonome Gemeinschaft Madrid",
        "Comunidad de Madrid",
        holidays="MD",
    ),
    _r("ES", "Region of Murcia", "Region Murcia", "Región de Murcia", holidays="MC"),
    _r("ES", "Navarre", "Navarra", "Comunidad Foral de Navarra", "Nafarroa", holidays="NC"),
    _r(
        "ES",
        "Valencian Community",
        "Valencianische Gemeinschaft",
        "Comunitat Valenciana",
        "Comunidad Valenciana",
        holidays="VC",
    ),
    _r("ES", "Ceuta", "Ceuta", holidays="CE"),
    _r("ES", "Melilla", "Melilla", holidays="ML"),
    # Italy: the 20 regions (the holidays package's subdivisions are provinces)
    _r("IT", "Abruzzo", "Abruzzen", "Abruzzi"),
    _r("IT", "Aosta Valley", "Aostatal", "Valle d'Aosta", "Vallée d'Aoste"),
    _r("IT", "Apulia", "Apulien", "Puglia"),
    _r("IT", "Basilicata", "Basilikata", "Lucania"),
    _r("IT", "Calabria", "Kalabrien"),
    _r("IT", "Campania", "Kampanien"),
    _r("IT", "Emilia-Romagna", "Emilia-Romagna"),
    _r("IT", "Friuli-Venezia Giulia", "Friaul-Julisch Venetien", "Friuli Venezia Giulia", "Friaul"),
    _r("IT", "Lazio", "Latium"),
    _r("IT", "Liguria", "Ligurien"),
    _r("IT", "Lombardy", "Lombardei", "Lombardia"),
    _r("IT", "Marche", "Marken", "The Marches"),
    _r("IT", "Molise", "Molise"),
    _r("IT", "Piedmont", "Piemont", "Piemonte"),
    _r("IT", "Sardinia", "Sardinien", "Sardegna"),
    _r("IT", "Sicily", "Sizilien", "Sicilia"),
    _r(
        "IT",
        "Trentino-South Tyrol",
        "Trentino-Südtirol",
        "Trentino-Alto Adige",
        "Trentino-Alto Adige/Südtirol",
    ),
    _r("IT", "South Tyrol", "Südtirol", "Alto Adige", "Provincia autonoma di Bolzano"),
    _r("IT", "Trentino", "Trentino"),
    _r("IT", "Tuscany", "Toskana", "Toscana"),
    _r("IT", "Umbria", "Umbrien"),
    _r("IT", "Veneto", "Venetien", "Venetia"),
    # Belgium: the three regions
    _r("BE", "Flanders", "Flandern", "Vlaanderen", "Flandre", "Flemish Region", "Vlaams Gewest"),
    _r("BE", "Wallonia", "Wallonien", "Wallonie", "Walloon Region", "Région wallonne"),
    _r(
        "BE",
        "Brussels-Capital Region",
        "Region Brüssel-Hauptstadt",
        "Brussels",
        "Brüssel",
        "Bruxelles",
        "Brussel",
        "Région de Bruxelles-Capitale",
    ),
    # France: the regions of the mainland and Corsica
    _r("FR", "Île-de-France", "Île-de-France", "Ile de France", "Paris region"),
    _r("FR", "Brittany", "Bretagne"),
    _r("FR", "Normandy", "Normandie"),
    _r("FR", "Hauts-de-France", "Hauts-de-France"),
    _r("FR", "Grand Est", "Grand Est"),
    _r("FR", "Alsace", "Elsass", holidays="6AE"),
    _r("FR", "Lorraine", "Lothringen"),
    _r("FR", "Moselle", "Moselle", holidays="57"),
    _r(
        "FR",
        "Bourgogne-Franche-Comté",
        "Bourgogne-Franche-Comté",
        "Burgundy",
        "Burgund",
        "Bourgogne",
        "Franche-Comté",
    ),
    _r("FR", "Centre-Val de Loire", "Centre-Val de Loire"),
    _r("FR", "Pays de la Loire", "Pays de la Loire"),
    _r("FR", "Nouvelle-Aquitaine", "Nouvelle-Aquitaine", "Aquitaine"),
    _r("FR", "Occitania", "Okzitanien", "Occitanie"),
    _r("FR", "Auvergne-Rhône-Alpes", "Auvergne-Rhône-Alpes"),
    _r(
        "FR",
        "Provence-Alpes-Côte d'Azur",
        "Provence-Alpes-Côte d’Azur",
        "Provence",
        "PACA",
        "Côte d'Azur",
    ),
    _r("FR", "Corsica", "Korsika", "Corse"),
    # Portugal: the autonomous regions and the Algarve
    _r("PT", "Azores", "Azoren", "Açores", "Acores", holidays="20"),
    _r("PT", "Madeira", "Madeira", holidays="30"),
    _r("PT", "Algarve", "Algarve", holidays="08"),
)

# GeoNames admin1 code → the holidays package's subdivision, for the countries whose regions
# have public holidays of their own there (checked against holidays 0.109: Austria's and
# Belgium's regional days are not public holidays, Poland's and the Netherlands' regions have
# none; Italy's are the capitals' patron saints, found by the city's name in ``scheme``).
ADMIN1_HOLIDAYS: dict[str, dict[str, str]] = {
    "DE": {
        "01": "BW", "02": "BY", "03": "HB", "04": "HH", "05": "HE", "06": "NI", "07": "NW",
        "08": "RP", "09": "SL", "10": "SH", "11": "BB", "12": "MV", "13": "SN", "14": "ST",
        "15": "TH", "16": "BE",
    },
    "AT": {f"0{n}": str(n) for n in range(1, 10)},
    "ES": {
        "51": "AN", "52": "AR", "34": "AS", "07": "IB", "53": "CN", "39": "CB", "55": "CL",
        "54": "CM", "56": "CT", "60": "VC", "57": "EX", "58": "GA", "29": "MD", "31": "MC",
        "32": "NC", "59": "PV", "27": "RI", "CE": "CE", "ML": "ML",
    },
    "PT": {  # GeoNames' district numbers are not ISO 3166-2:PT's
        "02": "01", "03": "02", "04": "03", "05": "04", "06": "05", "07": "06", "08": "07",
        "09": "08", "10": "30", "11": "09", "13": "10", "14": "11", "16": "12", "17": "13",
        "18": "14", "19": "15", "20": "16", "21": "17", "22": "18", "23": "20",
    },
    "BA": {"01": "BIH", "02": "SRP", "BRC": "BRC"},
    "BE": {"VLG": "Flemish", "WAL": "French"},
    "CH": {
        c: c
        for c in (
            "AG", "AI", "AR", "BE", "BL", "BS", "FR", "GE", "GL", "GR", "JU", "LU", "NE",
            "NW", "OW", "SG", "SH", "SO", "SZ", "TG", "TI", "UR", "VD", "VS", "ZG", "ZH",
        )
    },
}  # fmt: skip

# France: Alsace and Moselle keep Good Friday and St Stephen's Day. GeoNames gives their
# region (Grand Est, admin1 44), not the département, so the larger towns are listed by name.
_GRAND_EST = "44"
_ALSACE = frozenset(
    {
        "Strasbourg", "Haguenau", "Schiltigheim", "Illkirch-Graffenstaden", "Sélestat",
        "Bischheim", "Lingolsheim", "Saverne", "Obernai", "Bischwiller", "Hoenheim", "Ostwald",
        "Molsheim", "Brumath", "Erstein", "Wissembourg", "Mulhouse", "Colmar", "Saint-Louis",
        "Wittenheim", "Guebwiller", "Riedisheim", "Rixheim", "Kingersheim", "Illzach", "Cernay",
        "Thann", "Huningue",
    }
)  # fmt: skip
_MOSELLE = frozenset(
    {
        "Metz", "Thionville", "Montigny-lès-Metz", "Forbach", "Sarreguemines", "Yutz",
        "Hayange", "Woippy", "Saint-Avold", "Creutzwald", "Sarrebourg", "Fameck", "Florange",
        "Stiring-Wendel", "Freyming-Merlebach", "Hagondange", "Amnéville", "Rombas", "Bitche",
    }
)  # fmt: skip


def holiday_subdivision(country: str, admin1: str, city: str = "") -> str | None:
    """The holidays package's subdivision for a region (and, in France, a town); None when
    the country's holidays are all there is."""
    if country == "FR":
        if admin1 != _GRAND_EST:
            return None
        return "6AE" if city in _ALSACE else "57" if city in _MOSELLE else None
    return ADMIN1_HOLIDAYS.get(country, {}).get(admin1)


def region_of_holidays(country: str, subdivision: str | None) -> Region | None:
    """The region whose name fits a holidays subdivision (for "Public holidays (Bavaria)")."""
    if subdivision is None:
        return None
    return next((r for r in REGIONS if r.country == country and r.holidays == subdivision), None)


@cache
def _by_name() -> dict[str, Region]:
    names: dict[str, Region] = {}
    for region in REGIONS:
        for name in (region.en, region.de, *region.also):
            names.setdefault(normalise(name), region)
    return names


def find_region(text: str) -> Region | None:
    """The region ``text`` names (any case, accents and umlauts optional), or None."""
    return _by_name().get(normalise(text))


def region_names() -> dict[str, Region]:
    """Every accepted spelling (normalised) with its region, for fuzzy matching."""
    return dict(_by_name())
