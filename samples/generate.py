#!/usr/bin/env python3
"""(Re)create the bundled offline sample of pdcorpus.

    python samples/generate.py          # writes next to this file

Pure standard library, deterministic: the same SEED gives byte-identical
files (gzip members are written with mtime=0 and a fixed embedded name).

Four sources, one per input format pdcorpus reads:

  books/*.jsonl.gz     Gutenberg-like book records (nested author.name)
  newspapers/*.csv     historic newspaper articles (multi-line quoted cells)
  letters/<lang>/*.txt one plain-text document per file, id = relative path
  wiki/*.jsonl         Wikisource-like pages with nested extmetadata rights

Besides the data the script writes EXPECTED.json (ground truth: counts,
malformed lines, exact-duplicate groups, planned near-duplicates, one row per
record) and README.md. Both are generated so that they can never disagree
with the data.

The passages in PASSAGES are public-domain works reconstructed from memory:
accurate in language and close to, but not always identical with, the
original wording; a few (marked "loose" below) are free reconstructions in
the manner of the named work. All metadata (ids, URLs, dates, rights,
newspaper names, letter writers) is synthetic and chosen to exercise
pdcorpus; it does not describe real catalogue entries.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import random
import textwrap
import unicodedata
from pathlib import Path
from urllib.parse import quote

SEED = 1813
OUT = Path(__file__).resolve().parent

# Number of "base" (unique) records per source; the planned exact and near
# duplicates and the malformed lines come on top of these.
BASE_COUNTS = {"books": 100, "newspapers": 108, "letters": 56, "wiki": 86}
LANGS = ["en", "fr", "de", "es", "it", "nl", "pl"]
# Share of each language in every source, roughly what the passage pool can
# carry without excerpts overlapping too much (see UNPLANNED_MAX_JACCARD).
LANG_WEIGHTS = {"en": 76, "fr": 50, "de": 48, "es": 50, "it": 44, "nl": 46, "pl": 36}

# Near-duplicate bookkeeping uses word 5-gram shingles of the normalized text.
# Every pair of records that is neither in one exact-duplicate group nor a
# planned near-duplicate pair is kept strictly below UNPLANNED_MAX_JACCARD.
SHINGLE = 5
UNPLANNED_MAX_JACCARD = 0.5
NEAR_MIN_JACCARD = 0.7

# =============================================================================
# DATA: passages. One sentence (or verse line) per line; a blank line ends a
# paragraph (a stanza for verse). Records are excerpts: contiguous runs of
# sentences, wrapped in source-specific framing (chapter headings, feuilleton
# headers, letter salutations, ...).
# =============================================================================

WORKS = [
    # ------------------------------------------------------------ English
    dict(key="austen-pp", lang="en", title="Pride and Prejudice",
         author="Austen, Jane", byline="Jane Austen", died=1817, year=1813, gid=1342,
         text="""
It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.
However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is considered the rightful property of some one or other of their daughters.

"My dear Mr. Bennet," said his lady to him one day, "have you heard that Netherfield Park is let at last?"

Mr. Bennet replied that he had not.

"But it is," returned she; "for Mrs. Long has just been here, and she told me all about it."

Mr. Bennet made no answer.

"Do you not want to know who has taken it?" cried his wife impatiently.

"You want to tell me, and I have no objection to hearing it."
This was invitation enough.

"Why, my dear, you must know, Mrs. Long says that Netherfield is taken by a young man of large fortune from the north of England; that he came down on Monday in a chaise and four to see the place, and was so much delighted with it that he agreed with Mr. Morris immediately; that he is to take possession before Michaelmas, and some of his servants are to be in the house by the end of next week."

"What is his name?"

"Bingley."

"Is he married or single?"

"Oh! single, my dear, to be sure! A single man of large fortune; four or five thousand a year. What a fine thing for our girls!"
"""),
    dict(key="austen-emma", lang="en", title="Emma",
         author="Austen, Jane", byline="Jane Austen", died=1817, year=1815, gid=158,
         text="""
Emma Woodhouse, handsome, clever, and rich, with a comfortable home and happy disposition, seemed to unite some of the best blessings of existence; and had lived nearly twenty-one years in the world with very little to distress or vex her.
She was the youngest of the two daughters of a most affectionate, indulgent father; and had, in consequence of her sister's marriage, been mistress of his house from a very early period.
Her mother had died too long ago for her to have more than an indistinct remembrance of her caresses; and her place had been supplied by an excellent woman as governess, who had fallen little short of a mother in affection.

Sixteen years had Miss Taylor been in Mr. Woodhouse's family, less as a governess than a friend, very fond of both daughters, but particularly of Emma.
Between them it was more the intimacy of sisters.
Even before Miss Taylor had ceased to hold the nominal office of governess, the mildness of her temper had hardly allowed her to impose any restraint; and the shadow of authority being now long passed away, they had been living together as friend and friend very mutually attached, and Emma doing just what she liked; highly esteeming Miss Taylor's judgment, but directed chiefly by her own.
"""),
    dict(key="dickens-two-cities", lang="en", title="A Tale of Two Cities",
         author="Dickens, Charles", byline="Charles Dickens", died=1870, year=1859, gid=98,
         text="""
It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had everything before us, we had nothing before us, we were all going direct to Heaven, we were all going direct the other way.
In short, the period was so far like the present period, that some of its noisiest authorities insisted on its being received, for good or for evil, in the superlative degree of comparison only.

There were a king with a large jaw and a queen with a plain face, on the throne of England; there were a king with a large jaw and a queen with a fair face, on the throne of France.
In both countries it was clearer than crystal to the lords of the State preserves of loaves and fishes, that things in general were settled for ever.

It was the year of Our Lord one thousand seven hundred and seventy-five.
Spiritual revelations were conceded to England at that favoured period, as at this.
France, less favoured on the whole as to matters spiritual than her sister of the shield and trident, rolled with exceeding smoothness down hill, making paper money and spending it.
"""),
    dict(key="dickens-expectations", lang="en", title="Great Expectations",
         author="Dickens, Charles", byline="Charles Dickens", died=1870, year=1861, gid=1400,
         text="""
My father's family name being Pirrip, and my Christian name Philip, my infant tongue could make of both names nothing longer or more explicit than Pip.
So, I called myself Pip, and came to be called Pip.

I give Pirrip as my father's family name, on the authority of his tombstone and my sister, Mrs. Joe Gargery, who married the blacksmith.
As I never saw my father or my mother, and never saw any likeness of either of them (for their days were long before the days of photographs), my first fancies regarding what they were like were unreasonably derived from their tombstones.
The shape of the letters on my father's gave me an odd idea that he was a square, stout, dark man, with curly black hair.

Ours was the marsh country, down by the river, within, as the river wound, twenty miles of the sea.
My first most vivid and broad impression of the identity of things seems to me to have been gained on a memorable raw afternoon towards evening.
At such a time I found out for certain that this bleak place overgrown with nettles was the churchyard; and that the dark flat wilderness beyond the churchyard, intersected with dikes and mounds and gates, with scattered cattle feeding on it, was the marshes; and that the low leaden line beyond was the river; and that the distant savage lair from which the wind was rushing was the sea; and that the small bundle of shivers growing afraid of it all and beginning to cry, was Pip.
"""),
    dict(key="dickens-bleak-house", lang="en", title="Bleak House",
         author="Dickens, Charles", byline="Charles Dickens", died=1870, year=1853, gid=1023,
         text="""
London.
Michaelmas term lately over, and the Lord Chancellor sitting in Lincoln's Inn Hall.
Implacable November weather.
As much mud in the streets as if the waters had but newly retired from the face of the earth, and it would not be wonderful to meet a Megalosaurus, forty feet long or so, waddling like an elephantine lizard up Holborn Hill.
Smoke lowering down from chimney-pots, making a soft black drizzle, with flakes of soot in it as big as full-grown snowflakes, gone into mourning, one might imagine, for the death of the sun.

Fog everywhere.
Fog up the river, where it flows among green aits and meadows; fog down the river, where it rolls defiled among the tiers of shipping and the waterside pollutions of a great (and dirty) city.
Fog on the Essex marshes, fog on the Kentish heights.
Fog creeping into the cabooses of collier-brigs; fog lying out on the yards and hovering in the rigging of great ships; fog drooping on the gunwales of barges and small boats.
"""),
    dict(key="dickens-carol", lang="en", title="A Christmas Carol",
         author="Dickens, Charles", byline="Charles Dickens", died=1870, year=1843, gid=46,
         text="""
Marley was dead: to begin with.
There is no doubt whatever about that.
The register of his burial was signed by the clergyman, the clerk, the undertaker, and the chief mourner.
Scrooge signed it: and Scrooge's name was good upon 'Change, for anything he chose to put his hand to.
Old Marley was as dead as a door-nail.

Oh! But he was a tight-fisted hand at the grindstone, Scrooge!
A squeezing, wrenching, grasping, scraping, clutching, covetous, old sinner!
Hard and sharp as flint, from which no steel had ever struck out generous fire; secret, and self-contained, and solitary as an oyster.
The cold within him froze his old features, nipped his pointed nose, shrivelled his cheek, stiffened his gait; made his eyes red, his thin lips blue; and spoke out shrewdly in his grating voice.
"""),
    dict(key="melville-moby-dick", lang="en", title="Moby-Dick; or, The Whale",
         author="Melville, Herman", byline="Herman Melville", died=1891, year=1851, gid=2701,
         text="""
Call me Ishmael.
Some years ago, never mind how long precisely, having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.
It is a way I have of driving off the spleen and regulating the circulation.
Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; whenever I find myself involuntarily pausing before coffin warehouses, and bringing up the rear of every funeral I meet; then, I account it high time to get to sea as soon as I can.
This is my substitute for pistol and ball.
There is nothing surprising in this.
If they but knew it, almost all men in their degree, some time or other, cherish very nearly the same feelings towards the ocean with me.

There now is your insular city of the Manhattoes, belted round by wharves as Indian isles by coral reefs; commerce surrounds it with her surf.
Right and left, the streets take you waterward.
Its extreme downtown is the battery, where that noble mole is washed by waves, and cooled by breezes, which a few hours previous were out of sight of land.
Look at the crowds of water-gazers there.
"""),
    dict(key="melville-bartleby", lang="en", title="Bartleby, the Scrivener",
         author="Melville, Herman", byline="Herman Melville", died=1891, year=1853, gid=11231,
         text="""
I am a rather elderly man.
The nature of my avocations for the last thirty years has brought me into more than ordinary contact with what would seem an interesting and somewhat singular set of men, of whom as yet nothing that I know of has ever been written: I mean the law-copyists or scriveners.
I have known very many of them, professionally and privately, and if I pleased, could relate divers histories, at which good-natured gentlemen might smile, and sentimental souls might weep.
But I waive the biographies of all other scriveners for a few passages in the life of Bartleby, who was a scrivener the strangest I ever saw or heard of.

At first Bartleby did an extraordinary quantity of writing.
As if long famishing for something to copy, he seemed to gorge himself on my documents.
There was no pause for digestion.
He ran a day and night line, copying by sun-light and by candle-light.
I should have been quite delighted with his application, had he been cheerfully industrious.
But he wrote on silently, palely, mechanically.
"""),
    dict(key="shelley-frankenstein", lang="en", title="Frankenstein; or, The Modern Prometheus",
         author="Shelley, Mary Wollstonecraft", byline="Mary Shelley", died=1851, year=1818, gid=84,
         kind="letters", text="""
You will rejoice to hear that no disaster has accompanied the commencement of an enterprise which you have regarded with such evil forebodings.
I arrived here yesterday, and my first task is to assure my dear sister of my welfare and increasing confidence in the success of my undertaking.

I am already far north of London, and as I walk in the streets of Petersburgh, I feel a cold northern breeze play upon my cheeks, which braces my nerves and fills me with delight.
Do you understand this feeling?
This breeze, which has travelled from the regions towards which I am advancing, gives me a foretaste of those icy climes.
Inspirited by this wind of promise, my daydreams become more fervent and vivid.
I try in vain to be persuaded that the pole is the seat of frost and desolation; it ever presents itself to my imagination as the region of beauty and delight.
"""),
    dict(key="twain-huck", lang="en", title="Adventures of Huckleberry Finn",
         author="Twain, Mark", byline="Mark Twain", died=1910, year=1884, gid=76,
         text="""
You don't know about me without you have read a book by the name of The Adventures of Tom Sawyer; but that ain't no matter.
That book was made by Mr. Mark Twain, and he told the truth, mainly.
There was things which he stretched, but mainly he told the truth.
That is nothing.
I never seen anybody but lied one time or another, without it was Aunt Polly, or the widow, or maybe Mary.

The Widow Douglas she took me for her son, and allowed she would sivilize me; but it was rough living in the house all the time, considering how dismal regular and decent the widow was in all her ways; and so when I couldn't stand it no longer I lit out.
I got into my old rags and my sugar-hogshead again, and was free and satisfied.
But Tom Sawyer he hunted me up and said he was going to start a band of robbers, and I might join if I would go back to the widow and be respectable.
So I went back.
"""),
    dict(key="joyce-dubliners", lang="en", title="Dubliners",
         author="Joyce, James", byline="James Joyce", died=1941, year=1914, gid=2814,
         text="""
North Richmond Street, being blind, was a quiet street except at the hour when the Christian Brothers' School set the boys free.
An uninhabited house of two storeys stood at the blind end, detached from its neighbours in a square ground.
The other houses of the street, conscious of decent lives within them, gazed at one another with brown imperturbable faces.

The former tenant of our house, a priest, had died in the back drawing-room.
Air, musty from having been long enclosed, hung in all the rooms, and the waste room behind the kitchen was littered with old useless papers.
Among these I found a few paper-covered books, the pages of which were curled and damp.
The wild garden behind the house contained a central apple-tree and a few straggling bushes, under one of which I found the late tenant's rusty bicycle-pump.
"""),
    dict(key="bunyan-pilgrim", lang="en", title="The Pilgrim's Progress",
         author="Bunyan, John", byline="John Bunyan", died=1688, year=1678, gid=131,
         text="""
As I walked through the wilderness of this world, I lighted on a certain place where was a Den, and I laid me down in that place to sleep: and, as I slept, I dreamed a dream.
I dreamed, and behold, I saw a man clothed with rags, standing in a certain place, with his face from his own house, a book in his hand, and a great burden upon his back.
I looked, and saw him open the book, and read therein; and, as he read, he wept, and trembled; and not being able longer to contain, he brake out with a lamentable cry, saying, What shall I do?
In this plight, therefore, he went home and refrained himself as long as he could, that his wife and children should not perceive his distress; but he could not be silent long, because that his trouble increased.
"""),
    # ------------------------------------------------------------ French
    dict(key="hugo-miserables", lang="fr", title="Les Misérables",
         author="Hugo, Victor", byline="Victor Hugo", died=1885, year=1862, gid=17489,
         text="""
En 1815, M. Charles-François-Bienvenu Myriel était évêque de Digne.
C'était un vieillard d'environ soixante-quinze ans; il occupait le siège de Digne depuis 1806.
Quoique ce détail ne touche en aucune manière au fond même de ce que nous avons à raconter, il n'est peut-être pas inutile, ne fût-ce que pour être exact en tout, d'indiquer ici les bruits et les propos qui avaient couru sur son compte au moment où il était arrivé dans le diocèse.
Vrai ou faux, ce qu'on dit des hommes tient souvent autant de place dans leur vie et surtout dans leur destinée que ce qu'ils font.

Dans les premiers jours du mois d'octobre 1815, une heure environ avant le coucher du soleil, un homme qui voyageait à pied entrait dans la petite ville de Digne.
Les rares habitants qui se trouvaient en ce moment à leurs fenêtres ou sur le seuil de leurs maisons regardaient ce voyageur avec une sorte d'inquiétude.
Il était difficile de rencontrer un passant d'un aspect plus misérable.
C'était un homme de moyenne taille, trapu et robuste, dans la force de l'âge.
Il pouvait avoir quarante-six ou quarante-huit ans.
Une casquette à visière de cuir rabattue cachait en partie son visage brûlé par le soleil et le hâle et ruisselant de sueur.
"""),
    dict(key="hugo-notre-dame", lang="fr", title="Notre-Dame de Paris",
         author="Hugo, Victor", byline="Victor Hugo", died=1885, year=1831, gid=19657,
         text="""
Il y a aujourd'hui trois cent quarante-huit ans six mois et dix-neuf jours que les Parisiens s'éveillèrent au bruit de toutes les cloches sonnant à grande volée dans la triple enceinte de la Cité, de l'Université et de la Ville.
Ce n'est cependant pas un jour dont l'histoire ait gardé souvenir que le 6 janvier 1482.
Rien de notable dans l'événement qui mettait ainsi en branle, dès le matin, les cloches et les bourgeois de Paris.
Ce n'était ni un assaut de Picards ou de Bourguignons, ni une châsse menée en procession, ni une révolte d'écoliers dans la vigne de Laas, ni une entrée de notredit très redouté seigneur monsieur le roi.
Il y avait seulement ce jour-là la double solennité, réunie depuis un temps immémorial, du jour des Rois et de la fête des Fous.
"""),
    dict(key="dumas-mousquetaires", lang="fr", title="Les Trois Mousquetaires",
         author="Dumas, Alexandre", byline="Alexandre Dumas", died=1870, year=1844, gid=13951,
         text="""
Le premier lundi du mois d'avril 1625, le bourg de Meung, où naquit l'auteur du Roman de la Rose, semblait être dans une révolution aussi entière que si les huguenots en fussent venus faire une seconde Rochelle.
Plusieurs bourgeois, voyant s'enfuir les femmes du côté de la Grande-Rue, entendant les enfants crier sur le seuil des portes, se hâtaient d'endosser la cuirasse et, appuyant leur contenance quelque peu incertaine d'un mousquet ou d'une pertuisane, se dirigeaient vers l'hôtellerie du Franc Meunier.
Devant cette hôtellerie s'empressait, en grossissant de minute en minute, un groupe compact, bruyant et plein de curiosité.

En ce temps-là les paniques étaient fréquentes, et peu de jours se passaient sans qu'une ville ou l'autre enregistrât sur ses archives quelque événement de ce genre.
Il y avait les seigneurs qui guerroyaient entre eux; il y avait le roi qui faisait la guerre au cardinal; il y avait l'Espagnol qui faisait la guerre au roi.
Puis, outre ces guerres sourdes ou publiques, secrètes ou patentes, il y avait encore les voleurs, les mendiants, les huguenots, les loups et les laquais, qui faisaient la guerre à tout le monde.
"""),
    dict(key="dumas-monte-cristo", lang="fr", title="Le Comte de Monte-Cristo",
         author="Dumas, Alexandre", byline="Alexandre Dumas", died=1870, year=1844, gid=17989,
         text="""
Le 24 février 1815, la vigie de Notre-Dame de la Garde signala le trois-mâts le Pharaon, venant de Smyrne, Trieste et Naples.
Comme d'habitude, un pilote côtier partit aussitôt du port, rasa le château d'If, et alla aborder le navire entre le cap de Morgion et l'île de Rion.
Aussitôt, comme d'habitude encore, la plate-forme du fort Saint-Jean s'était couverte de curieux; car c'est toujours une grande affaire à Marseille que l'arrivée d'un bâtiment, surtout quand ce bâtiment, comme le Pharaon, a été construit, gréé, arrimé sur les chantiers de la vieille Phocée, et appartient à un armateur de la ville.
Cependant ce bâtiment s'avançait; il avait heureusement franchi le détroit que quelque secousse volcanique a creusé entre l'île de Calasareigne et l'île de Jaros.
Un jeune homme, debout près du pilote, indiquait de la main la route à suivre.
"""),
    dict(key="flaubert-bovary", lang="fr", title="Madame Bovary",
         author="Flaubert, Gustave", byline="Gustave Flaubert", died=1880, year=1857, gid=14155,
         text="""
Nous étions à l'Étude, quand le Proviseur entra, suivi d'un nouveau habillé en bourgeois et d'un garçon de classe qui portait un grand pupitre.
Ceux qui dormaient se réveillèrent, et chacun se leva comme surpris dans son travail.
Le Proviseur nous fit signe de nous rasseoir; puis, se tournant vers le maître d'études: « Monsieur Roger, lui dit-il à demi-voix, voici un élève que je vous recommande, il entre en cinquième. »

Le nouveau, resté dans l'angle, derrière la porte, si bien qu'on l'apercevait à peine, était un gars de la campagne, d'une quinzaine d'années environ, et plus haut de taille qu'aucun de nous tous.
Il avait les cheveux coupés droit sur le front, comme un chantre de village, l'air raisonnable et fort embarrassé.
Quoiqu'il ne fût pas large des épaules, son habit-veste de drap vert à boutons noirs devait le gêner aux entournures et laissait voir, par la fente des parements, des poignets rouges habitués à être nus.
"""),
    dict(key="proust-swann", lang="fr", title="Du côté de chez Swann",
         author="Proust, Marcel", byline="Marcel Proust", died=1922, year=1913, gid=2650,
         text="""
Longtemps, je me suis couché de bonne heure.
Parfois, à peine ma bougie éteinte, mes yeux se fermaient si vite que je n'avais pas le temps de me dire: « Je m'endors. »
Et, une demi-heure après, la pensée qu'il était temps de chercher le sommeil m'éveillait; je voulais poser le volume que je croyais avoir encore dans les mains et souffler ma lumière.
Je n'avais pas cessé en dormant de faire des réflexions sur ce que je venais de lire, mais ces réflexions avaient pris un tour un peu particulier; il me semblait que j'étais moi-même ce dont parlait l'ouvrage: une église, un quatuor, la rivalité de François Ier et de Charles Quint.
"""),
    dict(key="maupassant-bel-ami", lang="fr", title="Bel-Ami",
         author="Maupassant, Guy de", byline="Guy de Maupassant", died=1893, year=1885, gid=4647,
         text="""
Quand la caissière lui eut rendu la monnaie de sa pièce de cent sous, Georges Duroy sortit du restaurant.
Comme il portait beau, par nature et par pose d'ancien sous-officier, il cambra sa taille, frisa sa moustache d'un geste militaire et familier, et jeta sur les dîneurs attardés un regard rapide et circulaire, un de ces regards de joli garçon, qui s'étendent comme des coups d'épervier.
Les femmes avaient levé la tête vers lui, trois petites ouvrières, une maîtresse de musique entre deux âges, mal peignée, négligée, coiffée d'un chapeau toujours poussiéreux, et deux bourgeoises avec leurs maris, habituées de cette gargote à prix fixe.
Lorsqu'il fut sur le trottoir, il demeura un instant immobile, se demandant ce qu'il allait faire.
On était au 28 juin, et il lui restait juste en poche trois francs quarante pour finir le mois.
"""),
    dict(key="voltaire-candide", lang="fr", title="Candide, ou l'Optimisme",
         author="Voltaire", byline="Voltaire", died=1778, year=1759, gid=4650,
         text="""
Il y avait en Westphalie, dans le château de monsieur le baron de Thunder-ten-tronckh, un jeune garçon à qui la nature avait donné les mœurs les plus douces.
Sa physionomie annonçait son âme.
Il avait le jugement assez droit, avec l'esprit le plus simple; c'est, je crois, pour cette raison qu'on le nommait Candide.
Les anciens domestiques de la maison soupçonnaient qu'il était fils de la sœur de monsieur le baron et d'un bon et honnête gentilhomme du voisinage, que cette demoiselle ne voulut jamais épouser parce qu'il n'avait pu prouver que soixante et onze quartiers.
Monsieur le baron était un des plus puissants seigneurs de la Westphalie, car son château avait une porte et des fenêtres.
"""),
    dict(key="sevigne-lettres", lang="fr", title="Lettres de Madame de Sévigné",
         author="Sévigné, Marie de Rabutin-Chantal, marquise de", byline="Madame de Sévigné",
         died=1696, year=1670, gid=None, kind="letters",
         text="""
Je m'en vais vous mander la chose la plus étonnante, la plus surprenante, la plus merveilleuse, la plus miraculeuse, la plus triomphante, la plus étourdissante, la plus inouïe, la plus singulière, la plus extraordinaire, la plus incroyable, la plus imprévue, la plus grande, la plus petite, la plus rare, la plus commune, la plus éclatante, la plus secrète jusqu'aujourd'hui, la plus brillante, la plus digne d'envie.
Enfin une chose dont on ne trouve qu'un exemple dans les siècles passés, encore cet exemple n'est-il pas juste.
Une chose que nous ne saurions croire à Paris, comment la pourrait-on croire à Lyon?
Une chose qui fait crier miséricorde à tout le monde; une chose qui comble de joie madame de Rohan et madame d'Hauterive; une chose enfin qui se fera dimanche, où ceux qui la verront croiront avoir la berlue.
Je ne puis me résoudre à vous la dire; devinez-la: je vous la donne en trois.
Jetez-vous votre langue aux chiens?
Eh bien! il faut donc vous la dire: M. de Lauzun épouse dimanche au Louvre, devinez qui?
"""),
    dict(key="verne-vingt-mille", lang="fr", title="Vingt mille lieues sous les mers",
         author="Verne, Jules", byline="Jules Verne", died=1905, year=1870, gid=5097,
         text="""
L'année 1866 fut marquée par un événement bizarre, un phénomène inexpliqué et inexplicable que personne n'a sans doute oublié.
Sans parler des rumeurs qui agitaient les populations des ports et surexcitaient l'esprit public à l'intérieur des continents, les gens de mer furent particulièrement émus.
Les négociants, armateurs, capitaines de navires, skippers et masters de l'Europe et de l'Amérique, officiers des marines militaires de tous pays, et, après eux, les gouvernements des divers États des deux continents, se préoccupèrent de ce fait au plus haut point.
En effet, depuis quelque temps, plusieurs navires s'étaient rencontrés sur mer avec une chose énorme, un objet long, fusiforme, parfois phosphorescent, infiniment plus vaste et plus rapide qu'une baleine.
"""),
    # ------------------------------------------------------------ German
    dict(key="kafka-verwandlung", lang="de", title="Die Verwandlung",
         author="Kafka, Franz", byline="Franz Kafka", died=1924, year=1915, gid=22367,
         text="""
Als Gregor Samsa eines Morgens aus unruhigen Träumen erwachte, fand er sich in seinem Bett zu einem ungeheueren Ungeziefer verwandelt.
Er lag auf seinem panzerartig harten Rücken und sah, wenn er den Kopf ein wenig hob, seinen gewölbten, braunen, von bogenförmigen Versteifungen geteilten Bauch, auf dessen Höhe sich die Bettdecke, zum gänzlichen Niedergleiten bereit, kaum noch erhalten konnte.
Seine vielen, im Vergleich zu seinem sonstigen Umfang kläglich dünnen Beine flimmerten ihm hilflos vor den Augen.

»Was ist mit mir geschehen?« dachte er.
Es war kein Traum.
Sein Zimmer, ein richtiges, nur etwas zu kleines Menschenzimmer, lag ruhig zwischen den vier wohlbekannten Wänden.
Über dem Tisch, auf dem eine auseinandergepackte Musterkollektion von Tuchwaren ausgebreitet war (Samsa war Reisender), hing das Bild, das er vor kurzem aus einer illustrierten Zeitschrift ausgeschnitten und in einem hübschen, vergoldeten Rahmen untergebracht hatte.
Es stellte eine Dame dar, die, mit einem Pelzhut und einer Pelzboa versehen, aufrecht dasaß und einen schweren Pelzmuff, in dem ihr ganzer Unterarm verschwunden war, dem Beschauer entgegenhob.

Gregors Blick richtete sich dann zum Fenster, und das trübe Wetter, man hörte Regentropfen auf das Fensterblech aufschlagen, machte ihn ganz melancholisch.
»Wie wäre es, wenn ich noch ein wenig weiterschliefe und alle Narrheiten vergäße«, dachte er, aber das war gänzlich undurchführbar, denn er war gewöhnt, auf der rechten Seite zu schlafen, konnte sich aber in seinem gegenwärtigen Zustand nicht in diese Lage bringen.
"""),
    dict(key="kafka-process", lang="de", title="Der Proceß",
         author="Kafka, Franz", byline="Franz Kafka", died=1924, year=1925, gid=None,
         text="""
Jemand mußte Josef K. verleumdet haben, denn ohne daß er etwas Böses getan hätte, wurde er eines Morgens verhaftet.
Die Köchin der Frau Grubach, seiner Zimmervermieterin, die ihm jeden Tag gegen acht Uhr früh das Frühstück brachte, kam diesmal nicht.
Das war noch niemals geschehen.
K. wartete noch ein Weilchen, sah von seinem Kopfkissen aus die alte Frau, die ihm gegenüber wohnte und die ihn mit einer an ihr ganz ungewöhnlichen Neugierde beobachtete, dann aber, gleichzeitig befremdet und hungrig, läutete er.
Sofort klopfte es und ein Mann, den er in dieser Wohnung noch niemals gesehen hatte, trat ein.
"""),
    dict(key="goethe-werther", lang="de", title="Die Leiden des jungen Werthers",
         author="Goethe, Johann Wolfgang von", byline="Johann Wolfgang von Goethe",
         died=1832, year=1774, gid=2407, kind="letters",
         text="""
Wie froh bin ich, daß ich weg bin!
Bester Freund, was ist das Herz des Menschen!
Dich zu verlassen, den ich so liebe, von dem ich unzertrennlich war, und froh zu sein!
Ich weiß, du verzeihst mir's.
Waren nicht meine übrigen Verbindungen recht ausgesucht vom Schicksal, um ein Herz wie das meine zu ängstigen?

Eine wunderbare Heiterkeit hat meine ganze Seele eingenommen, gleich den süßen Frühlingsmorgen, die ich mit ganzem Herzen genieße.
Ich bin allein und freue mich meines Lebens in dieser Gegend, die für solche Seelen geschaffen ist wie die meine.
Ich bin so glücklich, mein Bester, so ganz in dem Gefühle von ruhigem Dasein versunken, daß meine Kunst darunter leidet.
Ich könnte jetzt nicht zeichnen, nicht einen Strich, und bin nie ein größerer Maler gewesen als in diesen Augenblicken.
Wenn das liebe Tal um mich dampft und die hohe Sonne an der Oberfläche der undurchdringlichen Finsternis meines Waldes ruht, und nur einzelne Strahlen sich in das innere Heiligtum stehlen, ich dann im hohen Grase am fallenden Bache liege, und näher an der Erde tausend mannigfaltige Gräschen mir merkwürdig werden.
"""),
    dict(key="grimm-maerchen", lang="de", title="Kinder- und Hausmärchen",
         author="Grimm, Jacob; Grimm, Wilhelm", byline="Brüder Grimm", died=1863, year=1812, gid=2591,
         text="""
In den alten Zeiten, wo das Wünschen noch geholfen hat, lebte ein König, dessen Töchter waren alle schön, aber die jüngste war so schön, daß die Sonne selber, die doch so vieles gesehen hat, sich verwunderte, sooft sie ihr ins Gesicht schien.
Nahe bei dem Schlosse des Königs lag ein großer dunkler Wald, und in dem Walde unter einer alten Linde war ein Brunnen.
Wenn nun der Tag recht heiß war, so ging das Königskind hinaus in den Wald und setzte sich an den Rand des kühlen Brunnens.
Und wenn sie Langeweile hatte, so nahm sie eine goldene Kugel, warf sie in die Höhe und fing sie wieder; und das war ihr liebstes Spielwerk.

Vor einem großen Walde wohnte ein armer Holzhacker mit seiner Frau und seinen zwei Kindern; das Bübchen hieß Hänsel und das Mädchen Gretel.
Er hatte wenig zu beißen und zu brechen, und einmal, als große Teuerung ins Land kam, konnte er auch das tägliche Brot nicht mehr schaffen.
Wie er sich nun abends im Bette Gedanken machte und sich vor Sorgen herumwälzte, seufzte er und sprach zu seiner Frau: »Was soll aus uns werden?
Wie können wir unsere armen Kinder ernähren, da wir für uns selbst nichts mehr haben?«
"""),
    dict(key="fontane-effi", lang="de", title="Effi Briest",
         author="Fontane, Theodor", byline="Theodor Fontane", died=1898, year=1895, gid=5323,
         text="""
In Front des schon seit Kurfürst Georg Wilhelm von der Familie von Briest bewohnten Herrenhauses zu Hohen-Cremmen fiel heller Sonnenschein auf die mittagsstille Dorfstraße, während nach der Park- und Gartenseite hin ein rechtwinklig angebauter Seitenflügel einen breiten Schatten erst auf einen weiß und grün quadrierten Fliesengang und dann über diesen hinaus auf ein großes, in seiner Mitte mit einer Sonnenuhr besetztes Rondell warf.
Einige Schritte vorwärts, unter einer mächtigen alten Platane, stand ein Tisch, um den herum ein paar Gartenstühle standen.
Auf der Bank, die sich an die Kirchhofsmauer lehnte, saßen Mutter und Tochter, beide mit einer weiblichen Handarbeit beschäftigt.
Die Tochter, ein junges Ding von siebzehn Jahren, trug ein blau und weiß gestreiftes Leinwandkleid, das fast wie ein Kittel aussah, und einen breiten Matrosenkragen.
"""),
    dict(key="eichendorff-taugenichts", lang="de", title="Aus dem Leben eines Taugenichts",
         author="Eichendorff, Joseph von", byline="Joseph von Eichendorff", died=1857, year=1826, gid=35312,
         text="""
Das Rad an meines Vaters Mühle brauste und rauschte schon wieder recht lustig, der Schnee tröpfelte emsig vom Dache, die Sperlinge zwitscherten und tummelten sich dazwischen; ich saß auf der Türschwelle und wischte mir den Schlaf aus den Augen; mir war so recht wohl in dem warmen Sonnenschein.
Da trat der Vater aus dem Hause; er hatte schon seit Tagesanbruch in der Mühle rumort und die Schlafmütze schief auf dem Kopfe, der sagte zu mir: »Du Taugenichts! da sonnst du dich schon wieder und dehnst und reckst dir die Knochen müde und läßt mich alle Arbeit allein tun.
Ich kann dich hier nicht länger füttern.
Der Frühling ist vor der Tür, geh auch einmal hinaus in die Welt und erwirb dir selber dein Brot.«

»Nun«, sagte ich, »wenn ich ein Taugenichts bin, so ist's gut, so will ich in die Welt gehen und mein Glück machen.«
"""),
    dict(key="storm-schimmelreiter", lang="de", title="Der Schimmelreiter",
         author="Storm, Theodor", byline="Theodor Storm", died=1888, year=1888, gid=None,
         text="""
Was ich zu berichten beabsichtige, ist mir vor reichlich einem halben Jahrhundert im Hause meiner Urgroßmutter, der alten Frau Senator Feddersen, kund geworden, während ich, an ihrem Lehnstuhl sitzend, mich mit dem Lesen eines in blaue Pappe eingebundenen Zeitschriftenheftes beschäftigte.
Ich vermag mich nicht mehr zu entsinnen, ob von den »Leipziger« oder von »Pappes Hamburger Lesefrüchten«.
Noch fühl ich es gleich einem Schauer, wie dabei die linde Hand der über Achtzigjährigen mitunter liebkosend über das Haupthaar ihres Urenkels hinglitt.
Sie selbst und jene Zeit sind längst begraben; vergebens auch habe ich seitdem jenen Blättern nachgeforscht.
"""),
    dict(key="mann-buddenbrooks", lang="de", title="Buddenbrooks",
         author="Mann, Thomas", byline="Thomas Mann", died=1955, year=1901, gid=34811,
         text="""
»Was ist das. Was ist das …«
»Je, den Düwel ook, c'est la question, ma très chère demoiselle!«

Die Konsulin Buddenbrook, neben ihrer Schwiegermutter auf dem geradlinigen, weiß lackierten und mit einem goldenen Löwenkopf verzierten Sofa, dessen Polster hellgelb überzogen waren, warf einen Blick auf ihren Gatten, der in einem Armsessel bei ihr saß, und kam ihrer kleinen Tochter zu Hilfe, die der Großvater am Fenster auf den Knien hielt.
»Tony!« sagte sie, »ich glaube, daß mich Gott …«
Und die kleine Antonie, achtjährig und zartgebaut, in einem Kleidchen aus ganz leichter changierender Seide, den hübschen Blondkopf ein wenig vom Gesichte des Großvaters abgewandt, blickte aus ihren graublauen Augen angestrengt nachdenkend und ohne etwas zu sehen ins Zimmer hinein.
"""),
    dict(key="hesse-siddhartha", lang="de", title="Siddhartha",
         author="Hesse, Hermann", byline="Hermann Hesse", died=1962, year=1922, gid=None,
         text="""
Im Schatten des Hauses, in der Sonne des Flußufers bei den Booten, im Schatten des Salwaldes, im Schatten des Feigenbaumes wuchs Siddhartha auf, der schöne Sohn des Brahmanen, der junge Falke, zusammen mit Govinda, seinem Freunde, dem Brahmanensohn.
Sonne bräunte seine lichten Schultern am Flußufer, beim Baden, bei den heiligen Waschungen, bei den heiligen Opfern.
Schatten floß in seine schwarzen Augen im Mangohain, bei den Knabenspielen, beim Gesang der Mutter, bei den heiligen Opfern, bei den Lehren seines Vaters, des Gelehrten, beim Gespräch der Weisen.
"""),
    # ------------------------------------------------------------ Spanish
    dict(key="cervantes-quijote", lang="es", title="El ingenioso hidalgo don Quijote de la Mancha",
         author="Cervantes Saavedra, Miguel de", byline="Miguel de Cervantes Saavedra",
         died=1616, year=1605, gid=2000,
         text="""
En un lugar de la Mancha, de cuyo nombre no quiero acordarme, no ha mucho tiempo que vivía un hidalgo de los de lanza en astillero, adarga antigua, rocín flaco y galgo corredor.
Una olla de algo más vaca que carnero, salpicón las más noches, duelos y quebrantos los sábados, lantejas los viernes, algún palomino de añadidura los domingos, consumían las tres partes de su hacienda.
El resto della concluían sayo de velarte, calzas de velludo para las fiestas, con sus pantuflos de lo mesmo, y los días de entresemana se honraba con su vellorí de lo más fino.
Tenía en su casa una ama que pasaba de los cuarenta, y una sobrina que no llegaba a los veinte, y un mozo de campo y plaza, que así ensillaba el rocín como tomaba la podadera.
Frisaba la edad de nuestro hidalgo con los cincuenta años; era de complexión recia, seco de carnes, enjuto de rostro, gran madrugador y amigo de la caza.

Fue luego a ver su rocín, y aunque tenía más cuartos que un real y más tachas que el caballo de Gonela, que tantum pellis et ossa fuit, le pareció que ni el Bucéfalo de Alejandro ni Babieca el del Cid con él se igualaban.
Cuatro días se le pasaron en imaginar qué nombre le pondría; porque, según se decía él a sí mismo, no era razón que caballo de caballero tan famoso, y tan bueno él por sí, estuviese sin nombre conocido.
Y así, después de muchos nombres que formó, borró y quitó, añadió, deshizo y tornó a hacer en su memoria e imaginación, al fin le vino a llamar Rocinante, nombre, a su parecer, alto, sonoro y significativo de lo que había sido cuando fue rocín, antes de lo que ahora era, que era antes y primero de todos los rocines del mundo.

Es, pues, de saber que este sobredicho hidalgo, los ratos que estaba ocioso, que eran los más del año, se daba a leer libros de caballerías con tanta afición y gusto, que olvidó casi de todo punto el ejercicio de la caza, y aun la administración de su hacienda.
Y llegó a tanto su curiosidad y desatino en esto, que vendió muchas hanegas de tierra de sembradura para comprar libros de caballerías en que leer, y así, llevó a su casa todos cuantos pudo haber dellos.
En resolución, él se enfrascó tanto en su lectura, que se le pasaban las noches leyendo de claro en claro, y los días de turbio en turbio; y así, del poco dormir y del mucho leer, se le secó el celebro, de manera que vino a perder el juicio.

En esto, descubrieron treinta o cuarenta molinos de viento que hay en aquel campo, y así como don Quijote los vio, dijo a su escudero:

—La ventura va guiando nuestras cosas mejor de lo que acertáramos a desear; porque ves allí, amigo Sancho Panza, donde se descubren treinta, o pocos más, desaforados gigantes, con quien pienso hacer batalla y quitarles a todos las vidas.

—¿Qué gigantes? —dijo Sancho Panza.

—Aquellos que allí ves —respondió su amo— de los brazos largos, que los suelen tener algunos de casi dos leguas.

—Mire vuestra merced —respondió Sancho— que aquellos que allí se parecen no son gigantes, sino molinos de viento, y lo que en ellos parecen brazos son las aspas, que, volteadas del viento, hacen andar la piedra del molino.
"""),
    dict(key="lazarillo", lang="es", title="La vida de Lazarillo de Tormes",
         author="Anonymous", byline="Anónimo", died=None, year=1554, gid=320,
         text="""
Pues sepa Vuestra Merced, ante todas cosas, que a mí llaman Lázaro de Tormes, hijo de Tomé González y de Antona Pérez, naturales de Tejares, aldea de Salamanca.
Mi nacimiento fue dentro del río Tormes, por la cual causa tomé el sobrenombre, y fue desta manera.
Mi padre, que Dios perdone, tenía cargo de proveer una molienda de una aceña que está ribera de aquel río, en la cual fue molinero más de quince años.
Y estando mi madre una noche en la aceña, preñada de mí, tomóle el parto y parióme allí; de manera que con verdad me puedo decir nacido en el río.
"""),
    dict(key="galdos-perfecta", lang="es", title="Doña Perfecta",
         author="Pérez Galdós, Benito", byline="Benito Pérez Galdós", died=1920, year=1876, gid=15725,
         text="""
Cuando el tren mixto descendente, número 65 (no es preciso nombrar la línea), se detuvo en la pequeña estación situada entre los kilómetros 171 y 172, casi todos los viajeros de segunda y tercera clase se quedaron durmiendo o bostezando dentro de los coches, porque el frío penetrante de la madrugada no convidaba a pasear por el desabrigado andén.
El único viajero de primera que en el tren venía bajó apresuradamente, y dirigiéndose a los empleados, preguntóles si era aquel el apeadero de Villahorrenda.

—En Villahorrenda estamos —repuso el conductor, cuya voz se confundía con el cacarear de las gallinas que en aquel momento eran subidas al furgón—.
Se me había olvidado llamarle a usted, señor de Rey.
Creo que ahí le esperan con las caballerías.
"""),
    # loose: the third sentence is a free continuation
    dict(key="galdos-fortunata", lang="es", title="Fortunata y Jacinta",
         author="Pérez Galdós, Benito", byline="Benito Pérez Galdós", died=1920, year=1887, gid=17013,
         text="""
Las noticias más remotas que tengo de la persona que lleva este nombre me las ha dado Jacinto María Villalonga, y alcanzan al tiempo en que este amigo mío y el otro y el de más allá, Zalamea, Joaquinito Pez, Alejandro Miquis, iban a las aulas de la Universidad.
No cursaban todos el mismo año, y aunque se reunían en la cátedra de Camús, separábanse en la de Derecho Romano: el chico de Santa Cruz era discípulo de Novar, y Villalonga de Uribe, el historiador.
Ambos eran buenos estudiantes, y lo que los hacía famosos entre sus compañeros era la afición que tenían a la vida alegre de Madrid, a los cafés, a los teatros y a las tertulias que duraban hasta el amanecer.
"""),
    dict(key="clarin-regenta", lang="es", title="La Regenta",
         author="Alas, Leopoldo", byline="Leopoldo Alas «Clarín»", died=1901, year=1884, gid=17073,
         text="""
La heroica ciudad dormía la siesta.
El viento Sur, caliente y perezoso, empujaba las nubes blanquecinas que se rasgaban al correr hacia el Norte.
En las calles no había más ruido que el rumor estridente de los remolinos de polvo, trapos, pajas y papeles que iban de arroyo en arroyo, de acera en acera, de esquina en esquina, revolando y persiguiéndose, como mariposas que se buscan y huyen y que el aire envuelve en sus pliegues invisibles.
Cual turbas de pilluelos, aquellas migajas de la basura, aquellas sobras de todo, se juntaban en un montón, parábanse como dormidas un momento y brincaban de nuevo sobresaltadas, dispersándose, trepando unas por las paredes hasta los cristales temblorosos de los faroles, otras hasta los carteles de papel mal pegado a las esquinas.
Vetusta, la muy noble y leal ciudad, corte en lejano siglo, hacía la digestión del cocido y de la olla podrida, y descansaba oyendo entre sueños el monótono y familiar zumbido de la campana de coro, que retumbaba allá en lo alto de la esbelta torre en la Santa Basílica.
"""),
    dict(key="unamuno-niebla", lang="es", title="Niebla",
         author="Unamuno, Miguel de", byline="Miguel de Unamuno", died=1936, year=1914, gid=49836,
         text="""
Al aparecer Augusto a la puerta de su casa extendió el brazo derecho, con la mano palma abajo y abierta, y dirigiendo los ojos al cielo quedóse un momento parado en esta actitud estatuaria y augusta.
No era que tomaba posesión del mundo exterior, sino que observaba si llovía.
Y al recibir en el dorso de la mano el frescor del lento orvallo frunció el entrecejo.
Y no era tampoco que le molestase la llovizna, sino el tener que abrir el paraguas.
¡Estaba tan elegante, tan esbelto, plegado y dentro de su funda!
Un paraguas cerrado es tan elegante como es feo un paraguas abierto.
"""),
    dict(key="galdos-marianela", lang="es", title="Marianela",
         author="Pérez Galdós, Benito", byline="Benito Pérez Galdós", died=1920, year=1878, gid=None,
         text="""
Se puso el sol.
Tras el breve crepúsculo vino tranquila y oscura la noche, en cuyo negro seno murieron poco a poco los últimos rumores de la tierra soñolienta, y el viajero siguió adelante en su camino, apresurando su paso a medida que avanzaba la noche.
Iba por angosta vereda, de esas que sobre el césped traza el constante pisar de hombres y brutos, y subía sin cansancio por un cerro en cuyas vertientes se alzaban pintorescos grupos de castaños y nogales.
La senda, en sus caprichosas vueltas, le condujo a una hondonada, donde se oía el rumor del agua de un arroyo, y allí se detuvo, dudoso, sin saber si seguir adelante o volver por donde había venido.
"""),
    dict(key="becquer-leyendas", lang="es", title="El monte de las ánimas",
         author="Bécquer, Gustavo Adolfo", byline="Gustavo Adolfo Bécquer", died=1870, year=1861, gid=None,
         text="""
La noche de difuntos, me despertó a no sé qué hora el doble de las campanas; su tañido monótono y eterno me trajo a las mientes esta tradición que oí hace poco en Soria.
Intenté dormir de nuevo; ¡imposible!
Una vez aguijoneada, la imaginación es un caballo que se desboca y al que no sirve tirarle de la rienda.
Por pasar el rato, me decidí a escribirla, como en efecto lo hice.

—Atad los perros; haced la señal con las trompas para que se reúnan los cazadores, y demos la vuelta a la ciudad.
La noche se acerca, es día de Todos los Santos y estamos en el Monte de las Ánimas.
"""),
    # loose: free reconstruction in the manner of the opening chapter
    dict(key="pardobazan-pazos", lang="es", title="Los pazos de Ulloa",
         author="Pardo Bazán, Emilia", byline="Emilia Pardo Bazán", died=1921, year=1886, gid=None,
         text="""
Por más que el jinete trataba de sujetarlo agarrando con toda su fuerza la corta rienda, el caballo seguía cuesta abajo, y a cada paso se le formaba en los cascos una bola de tierra que le hacía tropezar.
El camino, estrecho y desigual, bajaba entre dos vallados cubiertos de zarzas y helechos, y el jinete, un clérigo joven, pálido y de cara lampiña, iba agarrado a la silla con más miedo que destreza.
De cuando en cuando miraba hacia atrás, como si temiese que le siguieran, y luego volvía los ojos al valle, donde, entre robles y castaños, asomaban los tejados negros de una casa grande y solitaria.
"""),
    # loose: free reconstruction in the manner of the Veruela letters
    dict(key="becquer-cartas", lang="es", title="Cartas desde mi celda",
         author="Bécquer, Gustavo Adolfo", byline="Gustavo Adolfo Bécquer", died=1870, year=1864,
         gid=None, kind="letters",
         text="""
Queridos amigos: hace algunos días, cuando salí de Madrid, la ciudad estaba envuelta en una niebla fría y el cielo gris parecía pesar sobre los tejados.
Ahora os escribo desde una celda del monasterio de Veruela, con la ventana abierta a un paisaje de montes azulados y de olivos, y siento que el silencio de estos claustros me devuelve poco a poco la calma.
Por la mañana, cuando el sol dora las crestas del Moncayo, salgo a pasear por los alrededores y me detengo a hablar con los pastores, que me cuentan historias de brujas y de aparecidos.
Por la noche, a la luz de una lámpara, escribo estas cartas, que quizá no tengan más mérito que el de ser sinceras.
"""),
    # ------------------------------------------------------------ Italian
    dict(key="manzoni-promessi", lang="it", title="I promessi sposi",
         author="Manzoni, Alessandro", byline="Alessandro Manzoni", died=1873, year=1827, gid=45334,
         text="""
Quel ramo del lago di Como, che volge a mezzogiorno, tra due catene non interrotte di monti, tutto a seni e a golfi, a seconda dello sporgere e del rientrare di quelli, vien, quasi a un tratto, a ristringersi, e a prender corso e figura di fiume, tra un promontorio a destra, e un'ampia costiera dall'altra parte.
Il ponte, che ivi congiunge le due rive, par che renda ancor più sensibile all'occhio questa trasformazione, e segni il punto in cui il lago cessa, e l'Adda rincomincia, per ripigliar poi nome di lago dove le rive, allontanandosi di nuovo, lascian l'acqua distendersi e rallentarsi in nuovi golfi e in nuovi seni.

Per una di queste stradicciole, tornava bel bello dalla passeggiata verso casa, sulla sera del giorno 7 novembre dell'anno 1628, don Abbondio, curato d'una delle terre accennate di sopra.
Diceva tranquillamente il suo ufizio, e talvolta, tra un salmo e l'altro, chiudeva il breviario, tenendovi dentro, per segno, l'indice della mano destra, e, messa poi questa nell'altra dietro la schiena, proseguiva il suo cammino, guardando a terra, e buttando con un piede verso il muro i ciottoli che facevano inciampo nel sentiero.

I due descritti di sopra stavan lì ad aspettar qualcheduno; ma ciò che più spaventò don Abbondio, fu il vedere, per certi atti, che l'aspettato era lui.
Perché, al suo apparire, coloro s'eran guardati in viso, alzando la testa, con un movimento dal quale si scorgeva che tutt'e due a un tratto avevan detto: è lui.
Quello che stava a cavalcioni s'alzò, tirando la sua gamba sulla strada; l'altro si staccò dal muro; e tutt'e due gli s'avviarono incontro.

Don Abbondio (il lettore se n'è già avveduto) non era nato con un cuor di leone.
Ma, fin da' primi suoi anni, aveva dovuto comprendere che la peggior condizione, a quei tempi, era quella d'un animale senza artigli e senza zanne, che pure non si sentisse inclinazione d'esser divorato.
La forza legale non proteggeva in alcun conto l'uomo tranquillo, inoffensivo, e che non avesse altri mezzi di far paura altrui.
"""),
    dict(key="collodi-pinocchio", lang="it", title="Le avventure di Pinocchio",
         author="Collodi, Carlo", byline="Carlo Collodi", died=1890, year=1883, gid=52484,
         text="""
C'era una volta...
— Un re! — diranno subito i miei piccoli lettori.
No, ragazzi, avete sbagliato.
C'era una volta un pezzo di legno.
Non era un legno di lusso, ma un semplice pezzo da catasta, di quelli che d'inverno si mettono nelle stufe e nei caminetti per accendere il fuoco e per riscaldare le stanze.

Non so come andasse, ma il fatto gli è che un bel giorno questo pezzo di legno capitò nella bottega di un vecchio falegname, il quale aveva nome mastr'Antonio, se non che tutti lo chiamavano maestro Ciliegia, per via della punta del suo naso, che era sempre lustra e paonazza, come una ciliegia matura.
Appena maestro Ciliegia ebbe visto quel pezzo di legno, si rallegrò tutto; e dandosi una fregatina di mani per la contentezza, borbottò a mezza voce: — Questo legno è capitato a tempo: voglio servirmene per fare una gamba di tavolino.

Appena entrato in casa, Geppetto prese subito gli arnesi e si pose a intagliare e a fabbricare il suo burattino.
— Che nome gli metterò? — disse fra sé e sé.
— Lo voglio chiamar Pinocchio.
Questo nome gli porterà fortuna.

Fatto il nome al suo burattino, allora cominciò a lavorare a buono, e gli fece subito i capelli, poi la fronte, poi gli occhi.
Fatti gli occhi, figuratevi la sua maraviglia quando si accorse che gli occhi si movevano e che lo guardavano fisso fisso.
Geppetto, vedendosi guardare da quei due occhi di legno, se n'ebbe quasi per male, e disse con accento risentito: — Occhiacci di legno, perché mi guardate?
Nessuno rispose.
"""),
    dict(key="verga-malavoglia", lang="it", title="I Malavoglia",
         author="Verga, Giovanni", byline="Giovanni Verga", died=1922, year=1881, gid=None,
         text="""
Un tempo i Malavoglia erano stati numerosi come i sassi della strada vecchia di Trezza; ce n'erano persino ad Ognina, e ad Aci Castello, tutti buona e brava gente di mare, proprio all'opposto di quel che sembrava dal nomignolo, come dev'essere.
Veramente nel libro della parrocchia si chiamavano Toscano, ma questo non voleva dir nulla, poiché da che il mondo era mondo, all'Ognina, a Trezza e ad Aci Castello, li avevano sempre conosciuti per Malavoglia, di padre in figlio, che avevano sempre avuto delle barche sull'acqua, e delle tegole al sole.
Adesso a Trezza non rimanevano che i Malavoglia di padron 'Ntoni, quelli della casa del nespolo, e della Provvidenza ch'era ammarrata sul greto, sotto il lavatoio, accanto alla Concetta dello zio Cola, e alla paranza di padron Fortunato Cipolla.
"""),
    dict(key="verga-malpelo", lang="it", title="Rosso Malpelo",
         author="Verga, Giovanni", byline="Giovanni Verga", died=1922, year=1878, gid=None,
         text="""
Malpelo si chiamava così perché aveva i capelli rossi; ed aveva i capelli rossi perché era un ragazzo malizioso e cattivo, che prometteva di riescire un fior di birbone.
Sicché tutti alla cava della rena rossa lo chiamavano Malpelo; e persino sua madre, col sentirgli dir sempre a quel modo, aveva quasi dimenticato il suo nome di battesimo.
Del resto, ella lo vedeva soltanto il sabato sera, quando tornava a casa con quei pochi soldi della settimana; e siccome era malpelo c'era anche a temere che ne sottraesse un paio.
"""),
    dict(key="dante-inferno", lang="it", title="La Divina Commedia. Inferno",
         author="Alighieri, Dante", byline="Dante Alighieri", died=1321, year=1472, gid=1000,
         verse=True, text="""
Nel mezzo del cammin di nostra vita
mi ritrovai per una selva oscura,
ché la diritta via era smarrita.

Ahi quanto a dir qual era è cosa dura
esta selva selvaggia e aspra e forte
che nel pensier rinova la paura!

Tant'è amara che poco è più morte;
ma per trattar del ben ch'i' vi trovai,
dirò de l'altre cose ch'i' v'ho scorte.

Io non so ben ridir com'i' v'intrai,
tant'era pien di sonno a quel punto
che la verace via abbandonai.
"""),
    dict(key="deamicis-cuore", lang="it", title="Cuore",
         author="De Amicis, Edmondo", byline="Edmondo De Amicis", died=1908, year=1886, gid=28389,
         text="""
Oggi primo giorno di scuola.
Passarono come un sogno quei tre mesi di vacanza in campagna!
Mia madre mi condusse questa mattina alla Sezione Baretti a farmi iscrivere per la terza elementare: io pensavo alla campagna e andavo di mala voglia.
Tutte le strade brulicavano di ragazzi; le due botteghe di libraio erano affollate di padri e di madri che compravano zaini, cartelle e quaderni, e davanti alla scuola s'accalcava tanta gente, che il bidello e la guardia civica duravan fatica a tenere sgombra la porta.
Vicino alla porta, mi sentii toccare una spalla: era il mio maestro della seconda, sempre allegro, coi suoi capelli rossi arruffati, che mi disse: — Dunque, Enrico, siamo separati per sempre?

Entrammo nella nuova classe.
Il maestro è alto, senza barba, coi capelli grigi e lunghi, e ha una ruga diritta sulla fronte; ha la voce grossa, e ci guarda tutti fisso, l'un dopo l'altro, come per leggerci dentro; e non ride mai.
Io dicevo tra me: ecco il primo giorno; ne mancano ancora nove mesi; quanti lavori, quanti esami mensili, quante fatiche!
"""),
    dict(key="pirandello-pascal", lang="it", title="Il fu Mattia Pascal",
         author="Pirandello, Luigi", byline="Luigi Pirandello", died=1936, year=1904, gid=None,
         text="""
Una delle poche cose, anzi forse la sola ch'io sapessi di certo era questa: che mi chiamavo Mattia Pascal.
E me ne approfittavo.
Ogni qual volta qualcuno de' miei amici o conoscenti dimostrava d'aver perduto il senno fino al punto di venire da me per qualche consiglio o suggerimento, mi stringevo nelle spalle, socchiudevo gli occhi e gli rispondevo: — Io mi chiamo Mattia Pascal.

— Grazie, caro. Questo lo so.

— E ti par poco?
Non pareva molto, per dir la verità, neanche a me.
"""),
    dict(key="svevo-coscienza", lang="it", title="La coscienza di Zeno",
         author="Svevo, Italo", byline="Italo Svevo", died=1928, year=1923, gid=None,
         text="""
Io sono il dottore di cui in questa novella si parla talvolta con parole poco lusinghiere.
Chi di psico-analisi s'intende, sa dove piazzare l'antipatia che il paziente mi dedica.
Di psico-analisi non parlerò perché qui entro se ne parla già a sufficienza.
Debbo scusarmi di aver indotto il mio paziente a scrivere la sua autobiografia; gli studiosi di psico-analisi arricceranno il naso a tanta novità.
"""),
    # loose: free reconstruction in the manner of Leopardi's letters from Rome
    dict(key="leopardi-epistolario", lang="it", title="Epistolario",
         author="Leopardi, Giacomo", byline="Giacomo Leopardi", died=1837, year=1822, gid=None,
         kind="letters",
         text="""
Mio caro fratello, ti scrivo da Roma, dove sono arrivato dopo un viaggio lungo e noioso, con la pioggia che non ha cessato un momento dalla partenza fino alle porte della città.
La città è grande e magnifica, ma io vi sto come un forestiero, e le cose che qui si ammirano mi lasciano assai freddo.
Gli uomini che ho conosciuto finora sono cortesi, ma parlano di antichità e di cerimonie più che di studi veri, e io sento ogni giorno più il desiderio della mia stanza e dei miei libri.
Salutami tanto la mamma e le sorelle, e scrivimi presto, perché le vostre lettere sono la sola consolazione che io abbia in questo paese.
"""),
    # ------------------------------------------------------------ Dutch
    dict(key="multatuli-havelaar", lang="nl", title="Max Havelaar, of de koffiveilingen der Nederlandsche Handelmaatschappy",
         author="Multatuli", byline="Multatuli", died=1887, year=1860, gid=11024,
         text="""
Ik ben makelaar in koffie, en woon op de Lauriergracht, No. 37.
Het is mijn gewoonte niet, romans te schrijven, of zulke dingen, en het heeft dan ook lang geduurd, voor ik er toe overging een paar riem papier extra te bestellen, en het werk aan te vangen, dat gij, lieve lezer, zoo-even in de hand hebt genomen, en dat ge lezen moet als ge makelaar in koffie zijt, of als ge wat anders zijt.
Niet alleen dat ik nooit iets schreef wat naar een roman geleek, maar ik houd er zelfs niet van, iets dergelijks te lezen, omdat ik een man van zaken ben.
Sedert jaren vraag ik mij af, waartoe zulke dingen dienen, en ik sta verbaasd over de onbeschaamdheid, waarmee een dichter of romanverteller u iets op de mouw durft spelden, dat nooit gebeurd is, en meestal niet gebeuren kan.

Ik moet u vertellen, dat ik op zekeren dag over de Westermarkt liep, en daar iemand zag staan, dien ik in langen tijd niet gezien had.
Hij droeg een ouden, dunnen jas, en een sjaal om den hals, hoewel het niet koud was, en hij had een gezicht als van iemand die veel geleden heeft.
Ik herkende hem dadelijk: het was een jongen, met wien ik vroeger op school was geweest, en die toen altijd de eerste van de klas was.

Ik heb niets tegen verzen op zichzelf.
Wil men de woorden in 't gelid zetten, goed!
Maar zeg niets wat niet waar is.
'De lucht is guur, het is vier uur.'
Dit laat ik gelden, als het werkelijk guur en vier uur is.
Maar als het kwart voor drieën is, kan ik, die mijn woorden niet in 't gelid zet, zeggen: 'De lucht is guur, en het is kwart voor drieën.'

Saïdjah's vader had een buffel, waarmee hij zijn veld bewerkte.
Toen deze buffel hem ontnomen was door den districtshoofd te Parang-Koedjang, was hij zeer bedroefd, en hij sprak een geheelen dag geen woord.
Want de tijd van het ploegen was gekomen, en er was te vreezen dat, als de sawah niet bijtijds werd bewerkt, ook de gelegenheid om te zaaien voorbij zou gaan, en eindelijk dat er geen padi te snijden zou zijn, geen rijst in de lumbung van het huis.
"""),
    # loose: free reconstruction in the manner of the opening chapter
    dict(key="couperus-eline", lang="nl", title="Eline Vere",
         author="Couperus, Louis", byline="Louis Couperus", died=1923, year=1889, gid=None,
         text="""
In het salon der familie Verstraeten heerschte op dien avond eene opgewonden drukte.
De jonge meisjes en heeren, die in de tableaux vivants zouden optreden, waren bijeengekomen om nog eens te repeteeren, en de lampen brandden helder boven de tafel, waar de kostuums en de pruiken in bonte wanorde lagen.
Eline Vere zat een weinig ter zijde, in een diepen fauteuil, en keek met haar groote, droomerige oogen naar al die bedrijvigheid, zonder er recht deel aan te nemen.
Zij was moe, en het gelach der anderen klonk haar als van zeer verre in de ooren.

Toen de repetitie eindelijk was afgeloopen, ging men aan tafel, en de thee werd rondgediend in dunne, Japansche kopjes.
Eline zat naast haar neef Vincent, die pas uit Indië was teruggekeerd en met een zachte, wat vermoeide stem over de reis vertelde.
Zij luisterde, en het was haar, alsof zij zelve al die verre landen zag, de blauwe zeeën, de witte steden, de palmen in den gloed der zon.
"""),
    # loose: free reconstruction in the manner of the opening chapter
    dict(key="couperus-oude-menschen", lang="nl", title="Van oude menschen, de dingen, die voorbij gaan",
         author="Couperus, Louis", byline="Louis Couperus", died=1923, year=1906, gid=None,
         text="""
Lot Pauws zat in zijn kleine studeerkamer, boven, in het huis van zijn moeder, en schreef.
Buiten was het grauw en nat, en de regen tikte zacht tegen de ruiten, terwijl de boomen van de laan hun laatste bladeren lieten vallen.
Hij schreef een artikel over Italiaansche kunst, maar zijn gedachten dwaalden telkens af, naar zijn moeder beneden, naar zijn grootmoeder, die zoo oud was, zoo verschrikkelijk oud, en die altijd bij het venster zat te wachten.
Wat wachtte zij?
Niemand wist het, en niemand durfde het haar te vragen.
"""),
    # loose: free reconstruction in the manner of the opening chapter
    dict(key="couperus-stille-kracht", lang="nl", title="De stille kracht",
         author="Couperus, Louis", byline="Louis Couperus", died=1923, year=1900, gid=None,
         text="""
De maan stond zeer hoog, en de lucht was zoo helder als een blauwe kristallen koepel, waaronder de tuin van het residentiehuis lag te droomen in een zilveren licht.
De residentsvrouw zat op de voorgalerij, in een schommelstoel, en wachtte.
Niemand kwam.
Van ver over de rivier klonk het zachte getokkel van een gamelan, en soms viel er een rijpe vrucht met een doffen slag in het gras.
"""),
    # loose: free reconstruction in the manner of the opening chapter
    dict(key="multatuli-woutertje", lang="nl", title="Woutertje Pieterse",
         author="Multatuli", byline="Multatuli", died=1887, year=1890, gid=None,
         text="""
Woutertje Pieterse was een kleine jongen, die te Amsterdam woonde, in een nauwe straat, niet ver van de Westerkerk.
Hij was het jongste kind van een eerzaam huisgezin, waarin men veel over deugd en plicht sprak, en weinig over iets anders.
Als hij 's avonds naar bed ging, lag hij nog lang wakker, en dacht aan de ridders en prinsessen uit de boeken, die hij niet lezen mocht en toch las.
"""),
    dict(key="vaneeden-johannes", lang="nl", title="De kleine Johannes",
         author="Eeden, Frederik van", byline="Frederik van Eeden", died=1932, year=1887, gid=None,
         text="""
Ik zal u wat vertellen van den kleinen Johannes.
Mijn vertelling heeft veel van een sprookje, maar het is toch alles werkelijk gebeurd.
Zoodra gij het niet meer gelooven wilt, moet gij niet verder lezen, want dan is het ook niet voor u geschreven.
Ook moet gij er nooit, als gij den kleinen Johannes mocht ontmoeten, met hem over spreken, want dat zou hem spijten, en het zou mij leed doen, dat ik het u verteld had.

Johannes woonde in een oud huis met een grooten tuin.
Het was daar moeilijk den weg te vinden, want in den tuin waren veel donkere paadjes en priëelen en boschjes, en achteraan was een groote vijver, met riet omgroeid, waar de zon 's avonds in onderging.
Daar zat Johannes dikwijls in zijn bootje, en keek naar de wolken en naar de libellen, die over het water schoten.

Het was een warme dag, en Johannes lag in het gras aan den oever van den vijver.
Boven hem zoemden de bijen, en een blauwe libel bleef even stil hangen boven het water, met glinsterende vleugels.
Toen zag hij, tot zijn groote verwondering, dat de libel geen libel was, maar een klein wezentje met een menschengezichtje en lange, blauwe haren.
"""),
    # loose: free reconstruction in the manner of the opening chapter
    dict(key="conscience-leeuw", lang="nl", title="De Leeuw van Vlaenderen",
         author="Conscience, Hendrik", byline="Hendrik Conscience", died=1883, year=1838, gid=None,
         text="""
Op den morgen van den achttienden mei des jaars 1302 reden twee ruiters langs den weg, die van Kortrijk naar Brugge loopt.
De zon was nog niet hoog boven de kim gestegen, en de dauw blonk nog als zilver op het gras der weiden.
De eerste ruiter was een jonge man van fiere houding, wiens blauwe oogen vol vuur en moed stonden; de tweede, ouder en stiller, droeg een grijzen baard en een mantel van grof laken.
Zij spraken weinig, maar telkens als de wind het gelui der klokken uit de verte aanbracht, hielden zij hunne paarden in en luisterden.
"""),
    # loose: free reconstruction in the manner of the preface
    dict(key="beets-camera", lang="nl", title="Camera Obscura",
         author="Beets, Nicolaas", byline="Hildebrand", died=1903, year=1839, gid=None,
         text="""
Het is een zeer oud en zeer algemeen gebruik, dat een schrijver, die een nieuw boek in de wereld zendt, in eene voorrede iets zegt over zichzelven en over de bedoeling van zijn werk.
Ik zal van dit gebruik niet afwijken, maar mij tot weinige woorden bepalen.
Deze schetsen zijn geschreven in ledige uren, zonder groote pretentie, en met geen ander doel dan den lezer een oogenblik te vermaken met beelden uit het dagelijksche leven van ons vaderland.
Zoo gij er iets in vindt dat u bekend voorkomt, des te beter; zoo niet, sla dan gerust het blad om.
"""),
    # loose: free reconstruction in the manner of the letters to Theo
    dict(key="vangogh-brieven", lang="nl", title="Brieven aan zijn broeder",
         author="Gogh, Vincent van", byline="Vincent van Gogh", died=1890, year=1888, gid=None,
         kind="letters",
         text="""
Waarde Theo, ik schrijf u nog eens, omdat ik u wil zeggen hoe dankbaar ik ben voor uw brief en voor hetgeen gij er in hadt gesloten.
Het weer is hier nog altijd zeer schoon, en ik werk zooveel ik kan buiten, in de velden en langs de wegen, waar de boeren aan het werk zijn.
Ik heb een paar studiën gemaakt van korenvelden en van een boomgaard in bloei, en ik geloof dat er iets in zit, al is het nog lang niet wat ik zou willen.
Het leven is duur, en de verf ook, maar ik tracht zuinig te zijn en ik hoop dat gij mij niet kwalijk neemt dat ik u weer om wat geld moet vragen.
"""),
    # ------------------------------------------------------------ Polish
    dict(key="sienkiewicz-quo-vadis", lang="pl", title="Quo vadis",
         author="Sienkiewicz, Henryk", byline="Henryk Sienkiewicz", died=1916, year=1896, gid=None,
         text="""
Petroniusz obudził się zaledwie koło południa i jak zwykle zmęczony bardzo.
Poprzedniego dnia był na uczcie u Nerona, która przeciągnęła się do późnej nocy.
Od pewnego czasu zdrowie jego poczęło się psuć.
Sam mówił, że budzi się rano jakby zdrętwiały i bez możności zebrania myśli.
Ale poranna kąpiel i staranne wygniatanie ciała przez wprawionych do tego niewolników przyśpieszało stopniowo obieg jego leniwej krwi, rozbudzało go, orzeźwiało, wracało mu siły, tak że z elaeothesium, to jest z ostatniego oddziału łaźni, wychodził jeszcze jakby zmartwychwstały, z oczyma świecącymi dowcipem i wesołością, odmłodzony, pełen życia, wykwintny, tak niedościgniony, że sam Othon nie mógł się z nim porównać.

Do unctorium przyszedł o tej porze Winicjusz, syn jego siostry, młody żołnierz, który niedawno powrócił z Armenii.
Był to młodzieniec wysoki i silny, o twarzy smagłej od słońca i wiatrów, a Petroniusz lubił go, bo widział w nim odbicie własnej młodości.
Przywitali się serdecznie, po czym Winicjusz, usiadłszy na brzegu ławy, zaczął opowiadać o wojnie, o Korbulonie i o drogach, którymi wracał do Rzymu.
"""),
    dict(key="sienkiewicz-ogniem", lang="pl", title="Ogniem i mieczem",
         author="Sienkiewicz, Henryk", byline="Henryk Sienkiewicz", died=1916, year=1884, gid=None,
         text="""
Rok 1647 był to dziwny rok, w którym rozmaite znaki na niebie i ziemi zwiastowały jakoweś klęski i nadzwyczajne zdarzenia.
Współcześni kronikarze wspominają, iż z wiosny szarańcza w niesłychanej ilości wyroiła się z Dzikich Pól i zjadła zboże i trawy, co było przepowiednią napadów tatarskich.
Latem zaś zdarzyło się wielkie zaćmienie słońca, a wkrótce potem kometa pojawiła się na niebie.
W Warszawie widywano też nad miastem mogiłę i ognisty krzyż w obłokach, po czym poszczono i dawano jałmużny, gdyż niektórzy twierdzili, że zaraza spadnie na kraj i wygubi rodzaj ludzki.

Tymczasem pan Skrzetuski, namiestnik chorągwi pancernej, wracał z Krymu, dokąd był posłany z listami do chana.
Jechał stepem ku Czehryniowi, a za nim ciągnął niewielki poczet żołnierzy i czeladzi.
Step był pusty i cichy, tylko wiatr kołysał wysokimi trawami, a z daleka odzywały się niekiedy krzyki ptactwa nad Dnieprem.
"""),
    dict(key="sienkiewicz-krzyzacy", lang="pl", title="Krzyżacy",
         author="Sienkiewicz, Henryk", byline="Henryk Sienkiewicz", died=1916, year=1900, gid=None,
         text="""
W Tyńcu, w gospodzie „Pod Lutym Turem”, należącej do opactwa, siedziało kilku ludzi, słuchając opowiadań wojennych bywałego w świecie i w bojach człowieka, który przybył z dalekich stron.
Był to człek brodaty, w sile wieku, prawie ogromny, ale wychudzony, z włosami zebranymi w siatkę, pokrytą perłami.
Miał na sobie skórzany kubrak z pręgami wyciśniętymi od pancerza, a przy boku długi miecz, i mówił powoli, jak ten, kto wiele widział i niczemu się już nie dziwi.
"""),
    dict(key="sienkiewicz-potop", lang="pl", title="Potop",
         author="Sienkiewicz, Henryk", byline="Henryk Sienkiewicz", died=1916, year=1886, gid=None,
         text="""
Był w Żmudzi ród możny Billewiczów, od Mendoga się wywodzący, wielce skoligacony i w całym Rosieńskiem nad wszystkie inne szanowany.
Do urzędów wielkich nigdy Billewiczowie nie doszli, najwyżej powiatowe piastując, ale na polu Marsowym ogromne krajowi oddali usługi, za które różnymi czasy hojnie bywali nagradzani.
Gniazdo ich rodzinne, istniejące do dziś dnia, zwało się także Billewicze, ale prócz tego posiadali wiele innych majętności w okolicy.
"""),
    dict(key="prus-kamizelka", lang="pl", title="Kamizelka",
         author="Prus, Bolesław", byline="Bolesław Prus", died=1912, year=1882, gid=None,
         text="""
Mam w domu rzecz, która nawet pomiędzy starożytnościami należy do osobliwych.
Jest to kamizelka.
Zwyczajna kamizelka, ani nowa, ani piękna, ale za to ciekawa.
Kupiłem ją od pewnej biednej kobiety, która sprzedawała stare sprzęty i ubrania po swoim mężu, i od tego czasu często na nią patrzę, jakby mi coś chciała opowiedzieć.
"""),
    dict(key="reymont-ziemia", lang="pl", title="Ziemia obiecana",
         author="Reymont, Władysław Stanisław", byline="Władysław Stanisław Reymont",
         died=1925, year=1899, gid=None,
         text="""
Łódź się budziła.
Pierwszy wrzaskliwy świst fabryczny rozdarł ciszę wczesnego ranka, a za nim we wszystkich stronach miasta zaczęły się zrywać coraz liczniejsze i wrzeszczały chrapliwymi głosami jakby chór potwornych kogutów, piejących metalowymi gardzielami hasło do pracy.
Olbrzymie fabryki, podobne do kolosów, z długimi szyjami kominów, ożywiały się, a po ulicach, jeszcze ciemnych i mokrych, płynęły ciche, szare gromady robotników.
"""),
    dict(key="prus-lalka", lang="pl", title="Lalka",
         author="Prus, Bolesław", byline="Bolesław Prus", died=1912, year=1890, gid=None,
         text="""
W początkach roku 1878, kiedy świat polityczny zajmował się pokojem san-stefańskim, wyborem nowego papieża albo szansami europejskiej wojny, warszawscy kupcy tudzież inteligencja pewnej okolicy Krakowskiego Przedmieścia nie mniej gorąco interesowała się przyszłością galanteryjnego sklepu pod firmą J. Mincel i S. Wokulski.
W renomowanej jadłodajni, gdzie wieczorami schodzą się właściciele składów bielizny i sklepów winnych, fabrykanci powozów i kapeluszy, poważni ojcowie rodzin żyjący z procentów i posiadacze nieruchomości bez zajęcia, równie dużo mówiło się o uzbrojeniach Anglii, jak i o firmie J. Mincel i S. Wokulski.

Sklep ten mieścił się w jednej izbie o trzech oknach, z których widać było zgiełk ulicy.
Pan Ignacy Rzecki, subiekt, mieszkał tuż obok, w małym pokoiku, gdzie od dwudziestu pięciu lat stało to samo żelazne łóżko i ta sama zielona szafa.
Był to człowiek niski, szczupły, z siwymi wąsami, który wstawał o szóstej rano, nakręcał zegar i karmił swego kanarka, zanim jeszcze ulica zdążyła się obudzić.
"""),
    dict(key="prus-faraon", lang="pl", title="Faraon",
         author="Prus, Bolesław", byline="Bolesław Prus", died=1912, year=1897, gid=None,
         text="""
W trzydziestym trzecim roku szczęśliwego panowania Ramzesa XII Egipt obchodził dwie uroczystości, które napełniły dumą jego prawowiernych mieszkańców, a radością serca.
W miesiącu Mechir, w grudniu, powrócił do Teb, obsypany kosztownymi darami, bóg Chonsu, który przez półtora roku podróżował po kraju Buchten, gdzie uzdrowił córkę królewską.
Zaś w miesiącu Farmuti, w lutym, władca ziemi górnej i dolnej, pan Fenicji i dziewięciu narodów, dał swemu następcy, dwudziestoletniemu synowi Ramzesowi, godność wodza korpusu.
"""),
    # loose: free reconstruction in the manner of the opening of "Jesień"
    dict(key="reymont-chlopi", lang="pl", title="Chłopi",
         author="Reymont, Władysław Stanisław", byline="Władysław Stanisław Reymont",
         died=1925, year=1904, gid=None,
         text="""
Jesień już była głęboka, złota i cicha, a po polach snuły się srebrne nitki babiego lata.
Nad Lipcami stało przejrzyste, chłodne powietrze, przez które widać było daleko, aż po ciemne ściany lasów na widnokręgu.
Ksiądz skończył ostatnie słowa modlitwy i ludzie z wolna zaczęli wychodzić z kościoła, przystając gromadkami na cmentarzu i rozprawiając o żniwach, o cenach zboża i o tym, kto komu zagrodził miedzę.
Stary Boryna szedł powoli, podpierając się kijem, a za nim ciągnęli synowie i parobcy, poważni i milczący, jakby jeszcze nie wyszli z kościelnego chłodu.

Kiedy wyszli na drogę, słońce wisiało już wysoko nad borami, a dzwony jeszcze brzęczały cicho, jakby się ociągały z milknięciem.
Boryna zatrzymał się przy krzyżu na rozstajach, zdjął czapkę i przeżegnał się, a potem rzekł do syna: — Jutro trzeba będzie kopać kartofle, póki pogoda.
Antek nic nie odpowiedział, tylko spojrzał w stronę pól, gdzie nad ścierniskami unosiła się lekka, sinawa mgła.
"""),
    dict(key="kochanowski-treny", lang="pl", title="Treny",
         author="Kochanowski, Jan", byline="Jan Kochanowski", died=1584, year=1580, gid=None,
         verse=True, text="""
Wszytki płacze, wszytki łzy Heraklitowe
I lamenty, i skargi Symonidowe,
Wszytki troski na świecie, wszytki wzdychania
I żale, i frasunki, i rąk łamania,
Wszytki a wszytki zaraz w dom się mój noście,
A mnie płakać mej wdzięcznej dziewki pomożcie,
Z którąm się nieobecnie tak srodze rozstał
I jednym nagle ciosem wszytkiej cieszy zbył.
"""),
    # loose: free reconstruction in the manner of the opening chapter
    dict(key="zeromski-bezdomni", lang="pl", title="Ludzie bezdomni",
         author="Żeromski, Stefan", byline="Stefan Żeromski", died=1925, year=1900, gid=None,
         text="""
W jesienny dzień, około godziny pierwszej, młody lekarz Tomasz Judym wyszedł z Luwru i skierował się ku ulicy Rivoli.
Był zmęczony, a w głowie szumiało mu od obrazów, które przez kilka godzin oglądał, więc szedł powoli, przystając przed wystawami sklepów.
Paryż szumiał dokoła niego jak morze; omnibusy toczyły się z łoskotem, a na chodnikach płynął tłum ludzi, z których każdy zdawał się wiedzieć, dokąd i po co idzie.
Judym myślał o tym, że za kilka tygodni wróci do Warszawy, i nie umiał powiedzieć, czy go ta myśl cieszy, czy przeraża.
"""),
    dict(key="mickiewicz-pan-tadeusz", lang="pl", title="Pan Tadeusz",
         author="Mickiewicz, Adam", byline="Adam Mickiewicz", died=1855, year=1834, gid=31536,
         verse=True, text="""
Litwo! Ojczyzno moja! ty jesteś jak zdrowie;
Ile cię trzeba cenić, ten tylko się dowie,
Kto cię stracił. Dziś piękność twą w całej ozdobie
Widzę i opisuję, bo tęsknię po tobie.

Panno święta, co Jasnej bronisz Częstochowy
I w Ostrej świecisz Bramie! Ty, co gród zamkowy
Nowogródzki ochraniasz z jego wiernym ludem!
Jak mnie dziecko do zdrowia powróciłaś cudem
(Gdy od płaczącej matki, pod Twoją opiekę
Ofiarowany, martwą podniosłem powiekę;
I zaraz mogłem pieszo, do Twych świątyń progu
Iść za wrócone życie podziękować Bogu),
Tak nas powrócisz cudem na Ojczyzny łono.
"""),
    # loose: free reconstruction in the manner of the opening chapter
    dict(key="orzeszkowa-nad-niemnem", lang="pl", title="Nad Niemnem",
         author="Orzeszkowa, Eliza", byline="Eliza Orzeszkowa", died=1910, year=1888, gid=None,
         text="""
Był dzień letni, pogodny i gorący.
Niebo było czyste, tylko gdzieniegdzie na jego błękicie bielały małe obłoczki, a nad Niemnem, szeroko rozlanym wśród zielonych brzegów, unosiła się lekka, srebrzysta mgła.
Z dworu, stojącego na wzgórzu pośród starych lip i topoli, wyszły dwie kobiety w jasnych sukniach i powoli skierowały się ku rzece.
Na łąkach kosiarze, w białych koszulach, szli równym rzędem, a ostrza kos błyskały w słońcu jak błyskawice.
"""),
    # loose: free reconstruction in the manner of the letters from Vienna
    dict(key="chopin-listy", lang="pl", title="Listy",
         author="Chopin, Fryderyk", byline="Fryderyk Chopin", died=1849, year=1830, gid=None,
         kind="letters",
         text="""
Najdroższy Tytusie!
Piszę do Ciebie z Wiednia, gdzie jestem od kilku dni.
Miasto piękne, ludzie grzeczni, ale serce moje zostało w Warszawie i co chwila myślę o domu, o Was wszystkich.
Wczoraj grałem u pewnej hrabiny, a po koncercie wszyscy mnie otoczyli i chwalili, lecz ja myślałem tylko o tym, że nikt z Was tego nie słyszał.
Pisz do mnie często i długo, bo każdy list od Ciebie jest dla mnie jak kawałek ojczyzny.
"""),
]

# Very short records (30-80 characters): first lines and famous sentences.
SHORT = [
    ("dickens-two-cities", "It was the best of times, it was the worst of times."),
    ("proust-swann", "Longtemps, je me suis couché de bonne heure."),
    ("kafka-process", "Jemand mußte Josef K. verleumdet haben."),
    ("cervantes-quijote", "En un lugar de la Mancha, de cuyo nombre no quiero acordarme."),
    ("collodi-pinocchio", "C'era una volta un pezzo di legno."),
    ("multatuli-havelaar", "Ik ben makelaar in koffie, en woon op de Lauriergracht, No. 37."),
    ("mickiewicz-pan-tadeusz", "Litwo! Ojczyzno moja! ty jesteś jak zdrowie."),
    ("sienkiewicz-quo-vadis", "Petroniusz obudził się zaledwie koło południa."),
]
# which source gets each short record (same order as SHORT)
SHORT_SOURCES = ["books", "newspapers", "letters", "wiki", "books", "newspapers", "wiki", "letters"]

# --------------------------------------------------------------- framing data
CHAPTER = {"en": "CHAPTER {n}", "fr": "CHAPITRE {n}", "de": "KAPITEL {n}", "es": "CAPÍTULO {n}",
           "it": "CAPITOLO {n}", "nl": "HOOFDSTUK {n}", "pl": "ROZDZIAŁ {n}"}
SUBPAGE = {"en": "Chapter {n}", "fr": "Chapitre {n}", "de": "Kapitel {n}", "es": "Capítulo {n}",
           "it": "Capitolo {n}", "nl": "Hoofdstuk {n}", "pl": "Rozdział {n}"}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "Januari Februari Maart April Mei Juni Juli Augustus September October November December",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
}
DATE_FMT = {"en": "{m} {d}, {y}", "fr": "{d} {m} {y}", "de": "{d}. {m} {y}", "es": "{d} de {m} de {y}",
            "it": "{d} {m} {y}", "nl": "{d} {m} {y}", "pl": "{d} {m} {y}"}
CITIES = {
    "en": ["London", "Bath", "Boston", "New York", "Edinburgh", "Philadelphia"],
    "fr": ["Paris", "Lyon", "Marseille", "Rouen", "Bordeaux", "Grignan"],
    "de": ["Berlin", "Weimar", "Wien", "München", "Hamburg", "Leipzig"],
    "es": ["Madrid", "Sevilla", "Barcelona", "Oviedo", "Salamanca", "Valencia"],
    "it": ["Milano", "Firenze", "Roma", "Torino", "Napoli", "Recanati"],
    "nl": ["Amsterdam", "Den Haag", "Utrecht", "Leiden", "Arles", "Haarlem"],
    "pl": ["Warszawa", "Kraków", "Lwów", "Wilno", "Poznań", "Wiedeń"],
}
# Newspapers: (name, country, first year, last year). Countries drive the URL
# style and the rights; an item only goes to a paper that existed that year.
NEWSPAPERS = {
    "en": [("The Times", "gb", 1785, 1995), ("The Manchester Guardian", "gb", 1821, 1959),
           ("The Sun", "us", 1833, 1950), ("New-York Tribune", "us", 1841, 1924),
           ("The Evening Star", "us", 1852, 1981)],
    "fr": [("Journal des débats", "fr", 1789, 1944), ("Le Figaro", "fr", 1826, 1995),
           ("Le Temps", "fr", 1861, 1942), ("Le Petit Journal", "fr", 1863, 1944), ("Le Monde", "fr", 1944, 1995)],
    "de": [("Vossische Zeitung", "de", 1721, 1934), ("Kölnische Zeitung", "de", 1802, 1945),
           ("Neue Freie Presse", "at", 1864, 1939), ("Berliner Tageblatt", "de", 1872, 1939),
           ("Die Zeit", "de", 1946, 1995), ("Frankfurter Allgemeine Zeitung", "de", 1949, 1995)],
    "es": [("Gaceta de Madrid", "es", 1697, 1936), ("La Época", "es", 1849, 1936),
           ("El Imparcial", "es", 1867, 1933), ("La Vanguardia", "es", 1881, 1995), ("ABC", "es", 1903, 1995)],
    "it": [("Gazzetta di Parma", "it", 1735, 1995), ("La Nazione", "it", 1859, 1995),
           ("Gazzetta Piemontese", "it", 1867, 1894), ("Corriere della Sera", "it", 1876, 1995),
           ("La Stampa", "it", 1895, 1995)],
    "nl": [("Oprechte Haarlemsche Courant", "nl", 1656, 1942), ("Algemeen Handelsblad", "nl", 1828, 1970),
           ("Het nieuws van den dag", "nl", 1870, 1923), ("De Telegraaf", "nl", 1893, 1995),
           ("NRC Handelsblad", "nl", 1970, 1995)],
    "pl": [("Gazeta Warszawska", "pl", 1774, 1935), ("Kurjer Warszawski", "pl", 1821, 1939),
           ("Czas", "pl", 1848, 1939), ("Tygodnik Illustrowany", "pl", 1859, 1939),
           ("Życie Warszawy", "pl", 1944, 1995), ("Tygodnik Powszechny", "pl", 1945, 1995)],
}
# Schoolbook anthologies: long records (2,000-3,000 characters) made of excerpts
# of several works of one language. (title, author field, year)
ANTHOLOGIES = {
    "en": ("Selections from English and American Prose", "Various", 1910),
    "fr": ("Morceaux choisis des prosateurs français", "Various", 1905),
    "de": ("Deutsches Lesebuch für höhere Schulen", "Various", 1908),
    "es": ("Antología de prosistas españoles", "Various", 1912),
    "it": ("Antologia della prosa italiana", "Various", 1906),
    "nl": ("Nederlandsch leesboek", "Various", 1911),
    "pl": ("Wypisy polskie", "Various", 1909),
}
ANTHOLOGY_COUNTS = {"books": 2, "wiki": 1}   # per language
FEUILLETON = {
    "en": "OUR SERIAL STORY.\n\n{title}.\nBy {byline}.\n\n(Continued.)",
    "fr": "FEUILLETON\n\n{title}\n\npar {byline}\n\n(Suite.)",
    "de": "Feuilleton.\n\n{title}.\nVon {byline}.\n\n(Fortsetzung.)",
    "es": "FOLLETÍN\n\n{title}\n\npor {byline}\n\n(Continuación.)",
    "it": "APPENDICE\n\n{title}\n\ndi {byline}\n\n(Continuazione.)",
    "nl": "FEUILLETON.\n\n{title}.\ndoor {byline}.\n\n(Vervolg.)",
    "pl": "ODCINEK POWIEŚCIOWY.\n\n{title}.\n{byline}.\n\n(Ciąg dalszy.)",
}
TO_BE_CONTINUED = {"en": "(To be continued.)", "fr": "(À suivre.)", "de": "(Fortsetzung folgt.)",
                   "es": "(Se continuará.)", "it": "(Continua.)", "nl": "(Wordt vervolgd.)",
                   "pl": "(Dalszy ciąg nastąpi.)"}
# Added by some papers to a reprinted serial: source of planned near-duplicates.
REPRINT_NOTICE = {"en": "(All rights reserved.)", "fr": "(Reproduction interdite.)",
                  "de": "(Nachdruck verboten.)", "es": "(Prohibida la reproducción.)",
                  "it": "(Riproduzione vietata.)", "nl": "(Nadruk verboden.)", "pl": "(Przedruk wzbroniony.)"}
QUOTE = {"en": "“{}”", "fr": "« {} »", "de": "„{}“", "es": "«{}»", "it": "«{}»", "nl": "‘{}’", "pl": "„{}”"}
SALUTATIONS = {
    "en": ["My dear Charlotte,", "Dear Edward,", "My dearest sister,", "Dear Mr. Hale,"],
    "fr": ["Mon cher Paul,", "Chère Louise,", "Mon bien cher ami,", "Ma chère sœur,"],
    "de": ["Lieber Wilhelm!", "Liebe Charlotte!", "Mein teurer Freund!", "Liebste Schwester!"],
    "es": ["Querido Ramón:", "Querida Carmen:", "Mi buen amigo:", "Querida hermana:"],
    "it": ["Caro Pietro,", "Carissima Giulia,", "Mio caro amico,", "Cara sorella,"],
    "nl": ["Beste Willem,", "Lieve Anna,", "Waarde vriend,", "Lieve zuster,"],
    "pl": ["Kochany Janie!", "Droga Mario!", "Mój drogi przyjacielu!", "Kochana siostro!"],
}
INTROS = {
    "en": ["I promised to copy out for you the passage from {title} that we spoke of on Sunday, and here it is:",
           "You asked me what I have been reading this winter. It is {title}, by {byline}, and I cannot resist sending you a page of it:"],
    "fr": ["Je vous avais promis de recopier pour vous la page de {title} dont nous avons parlé dimanche; la voici:",
           "Vous me demandiez ce que je lis cet hiver. C'est {title}, de {byline}, et je ne résiste pas au plaisir de vous en envoyer une page:"],
    "de": ["Ich hatte Dir versprochen, die Stelle aus {title} abzuschreiben, von der wir am Sonntag sprachen; hier ist sie:",
           "Du fragst, was ich in diesem Winter lese. Es ist {title} von {byline}, und ich kann nicht umhin, Dir eine Seite daraus zu schicken:"],
    "es": ["Te prometí copiar el pasaje de {title} del que hablamos el domingo, y aquí lo tienes:",
           "Me preguntas qué leo este invierno. Es {title}, de {byline}, y no resisto la tentación de enviarte una página:"],
    "it": ["Ti avevo promesso di ricopiarti il passo di {title} di cui abbiamo parlato domenica, ed eccolo:",
           "Mi domandi che cosa leggo quest'inverno. È {title} di {byline}, e non resisto a mandartene una pagina:"],
    "nl": ["Ik had u beloofd de bladzijde uit {title} over te schrijven, waarover wij Zondag spraken; hier is zij:",
           "Gij vraagt mij wat ik dezen winter lees. Het is {title} van {byline}, en ik kan niet nalaten u er een bladzijde uit te zenden:"],
    "pl": ["Obiecałem Ci przepisać ten ustęp z książki {title}, o którym rozmawialiśmy w niedzielę; oto on:",
           "Pytasz, co czytam tej zimy. Jest to {title} ({byline}) i nie mogę się powstrzymać, by nie posłać Ci jednej stronicy:"],
}
AFTERWORDS = {
    "en": ["I have thought of little else since I read it.", "The weather here has been cold and wet all the week, and we keep to the fire."],
    "fr": ["Je n'ai guère pensé à autre chose depuis que je l'ai lue.", "Il a plu toute la semaine, et nous ne quittons plus le coin du feu."],
    "de": ["Seitdem ich es gelesen habe, denke ich an kaum etwas anderes.", "Es hat die ganze Woche geregnet, und wir sitzen nur noch am Ofen."],
    "es": ["Desde que lo leí apenas pienso en otra cosa.", "Ha llovido toda la semana y no nos apartamos del brasero."],
    "it": ["Da quando l'ho letto non penso quasi ad altro.", "Ha piovuto tutta la settimana, e non ci muoviamo più dal camino."],
    "nl": ["Sinds ik het las, denk ik aan weinig anders.", "Het heeft de geheele week geregend, en wij zitten den ganschen dag bij de kachel."],
    "pl": ["Odkąd to przeczytałem, prawie o niczym innym nie myślę.", "Cały tydzień padał deszcz i nie ruszamy się od pieca."],
}
CLOSINGS = {
    "en": ["Ever yours,\n{sig}", "Your affectionate friend,\n{sig}"],
    "fr": ["Je vous embrasse de tout mon cœur.\n{sig}", "Votre ami dévoué,\n{sig}"],
    "de": ["Lebe wohl und schreibe bald.\nDein {sig}", "Mit herzlichen Grüßen\n{sig}"],
    "es": ["Un abrazo de tu amigo,\n{sig}", "Siempre tuyo,\n{sig}"],
    "it": ["Ti abbraccio con affetto.\n{sig}", "Il tuo aff.mo\n{sig}"],
    "nl": ["Met een hartelijken handdruk,\n{sig}", "Steeds de uwe,\n{sig}"],
    "pl": ["Ściskam Cię serdecznie.\n{sig}", "Twój zawsze oddany\n{sig}"],
}
SIGNATURES = {
    # the closings are in the masculine, so are the writers
    "en": ["Henry", "Thomas Ward", "Edmund", "E. B."], "fr": ["Jules", "Émile D.", "Gustave", "A. M."],
    "de": ["Friedrich", "Heinrich M.", "Wilhelm", "L. v. B."], "es": ["Benito", "José María", "Ramón", "R. de C."],
    "it": ["Giuseppe", "Vittorio B.", "Alessandro", "A. F."], "nl": ["Jan", "Pieter de V.", "Willem", "H. K."],
    "pl": ["Stanisław", "Józef K.", "Kazimierz", "M. W."],
}
# Short notes used for the planned "sentence changed" near-duplicates.
ALT_SENTENCE = {
    "en": "Here the printer has left out a line that could not be read.",
    "fr": "Ici l'imprimeur a omis une ligne qu'on ne pouvait plus lire.",
    "de": "Hier hat der Setzer eine unleserliche Zeile ausgelassen.",
    "es": "Aquí el impresor omitió una línea que ya no podía leerse.",
    "it": "Qui il tipografo ha omesso una riga che non si poteva più leggere.",
    "nl": "Hier heeft de zetter een onleesbaren regel weggelaten.",
    "pl": "Tu drukarz opuścił wiersz, którego nie można było odczytać.",
}

# --------------------------------------------------------------- rights data
PD_USA = "Public domain in the USA."
COPYRIGHTED = "Copyrighted. Read the copyright notice inside this book for details."
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
PDM = "https://creativecommons.org/publicdomain/mark/1.0/"
PDM_HTTP = "http://creativecommons.org/publicdomain/mark/1.0/"   # Europeana spelling
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"
NOC_US = "http://rightsstatements.org/vocab/NoC-US/1.0/"
INC = "http://rightsstatements.org/vocab/InC/1.0/"
INC_EDU = "http://rightsstatements.org/vocab/InC-EDU/1.0/"
NKC = "http://rightsstatements.org/vocab/NKC/1.0/"
RR_F = "http://www.europeana.eu/rights/rr-f/"
NO_KNOWN = "No known copyright restrictions"
US_GOV = "United States Government work"

# (LicenseShortName, LicenseUrl, weight); None = key absent
WIKI_LICENSES = [
    ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0", 30),
    ("CC BY-SA 3.0", "https://creativecommons.org/licenses/by-sa/3.0", 20),
    ("Public domain", None, 12),
    ("CC0", CC0, 6),
    ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0", 5),
    ("CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0", 4),
    ("Public Domain Mark 1.0", PDM, 3),
    (US_GOV, None, 3),
    (NO_KNOWN, None, 3),
    ("", None, 2),                  # empty value
    (None, None, 5),                # extmetadata without licence keys
    ("<no extmetadata>", None, 3),  # no extmetadata object at all
]

# --------------------------------------------------------------- duplicate plan
# Exact-duplicate groups: (origin source, [(target source, variation), ...]).
# Variations keep the normalized text identical (see normalize()).
DUP_GROUPS = [
    ("books", [("books", "identical")]),          # same edition uploaded twice
    ("books", [("books", "rewrap")]),             # hard-wrapped at 70 columns
    ("books", [("books", "case")]),               # heading in other case
    ("books", [("books", "crlf")]),               # Windows line endings
    ("books", [("books", "whitespace")]),
    ("newspapers", [("newspapers", "identical")]),  # syndicated reprint
    ("newspapers", [("newspapers", "whitespace")]),
    ("newspapers", [("newspapers", "whitespace")]),
    ("newspapers", [("newspapers", "case")]),
    ("newspapers", [("newspapers", "reflow")]),     # paragraphs run together
    ("newspapers", [("newspapers", "nbsp")]),       # no-break spaces
    ("newspapers", [("newspapers", "rewrap")]),     # OCR output with hard line breaks
    ("newspapers", [("newspapers", "identical"), ("newspapers", "whitespace")]),  # group of three
    ("letters", [("letters", "nfd")]),            # decomposed accents (macOS copy)
    ("letters", [("letters", "crlf")]),
    ("letters", [("letters", "identical")]),      # the same letter scanned twice
    ("wiki", [("wiki", "identical")]),
    ("wiki", [("wiki", "whitespace")]),
    ("wiki", [("wiki", "case")]),
    ("wiki", [("wiki", "reflow")]),
    # across sources
    ("books", [("wiki", "identical")]),           # Gutenberg chapter = Wikisource page
    ("books", [("wiki", "identical")]),
    ("books", [("wiki", "whitespace")]),
    ("books", [("wiki", "reflow")]),
    ("books", [("wiki", "case")]),
    ("books", [("wiki", "rewrap")]),
    ("books", [("wiki", "identical"), ("newspapers", "whitespace")]),  # three sources
    ("books", [("books", "identical"), ("wiki", "whitespace"), ("newspapers", "case")]),  # group of four
    ("books", [("newspapers", "identical")]),
    ("books", [("newspapers", "whitespace")]),
    ("books", [("letters", "whitespace")]),
    ("books", [("letters", "nfd")]),
    ("newspapers", [("wiki", "identical")]),
    ("newspapers", [("wiki", "whitespace")]),
    ("letters", [("newspapers", "identical")]),   # a letter printed in a paper
    ("wiki", [("letters", "whitespace")]),
    ("wiki", [("books", "identical")]),
    ("wiki", [("newspapers", "identical")]),
    ("newspapers", [("books", "whitespace")]),
]
# Planned near-duplicates: (origin, target, change)
NEAR_PAIRS = [
    ("newspapers", "newspapers", "ocr_noise"),
    ("newspapers", "newspapers", "notice_added"),
    ("books", "books", "sentence_changed"),
    ("books", "wiki", "sentence_dropped"),
    ("wiki", "wiki", "sentence_changed"),
    ("letters", "letters", "sentence_dropped"),
    ("newspapers", "wiki", "ocr_noise"),
    ("books", "newspapers", "notice_added"),
]

# =============================================================================
# CODE
# =============================================================================


def normalize(text: str) -> str:
    """The normalization of EXPECTED.json: NFC, lower(), whitespace runs
    (as str.split() sees them) collapsed to one space, stripped."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def norm_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def shingles(text: str) -> frozenset:
    toks = normalize(text).split()
    if len(toks) < SHINGLE:
        return frozenset([tuple(toks)])
    return frozenset(tuple(toks[i:i + SHINGLE]) for i in range(len(toks) - SHINGLE + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def roman(n: int) -> str:
    out = ""
    for value, sym in [(40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]:
        while n >= value:
            out += sym
            n -= value
    return out


class Work:
    def __init__(self, d: dict):
        self.key = d["key"]
        self.lang = d["lang"]
        self.title = d["title"]
        self.author = d["author"]
        self.byline = d["byline"]
        self.died = d["died"]
        self.year = d["year"]
        self.gid = d.get("gid")
        self.kind = d.get("kind", "prose")
        self.verse = d.get("verse", False)
        self.units = []  # (paragraph number, sentence)
        par = 0
        for line in d.get("text", "").strip("\n").split("\n"):
            if line.strip():
                self.units.append((par, line.strip()))
            elif self.units and self.units[-1][0] == par:
                par += 1
        self.chars = sum(len(s) + 1 for _, s in self.units)

    def render(self, i: int, j: int) -> str:
        pars, cur, last = [], [], None
        for par, sent in self.units[i:j]:
            if last is not None and par != last:
                pars.append(cur)
                cur = []
            cur.append(sent)
            last = par
        pars.append(cur)
        sep = "\n" if self.verse else " "
        return "\n\n".join(sep.join(p) for p in pars)


WORK_LIST = [Work(d) for d in WORKS]
ANTHOLOGY_WORKS = {lang: Work(dict(key=f"anthology-{lang}", lang=lang, title=title, author=author,
                                   byline=author, died=None, year=year, kind="anthology"))
                   for lang, (title, author, year) in ANTHOLOGIES.items()}
BY_KEY = {w.key: w for w in WORK_LIST}
BY_LANG = {lang: [w for w in WORK_LIST if w.lang == lang] for lang in LANGS}


class Rec:
    """One input record (valid ones only; malformed lines are added at write time)."""

    def __init__(self, source, lang, work, text, sentences, role="base", short=False):
        self.source = source
        self.lang = lang
        self.work = work
        self.text = text
        self.sentences = sentences  # sentences of the passage contained in text
        self.role = role            # base / dup / near
        self.short = short
        self.id = None
        self.meta = {}
        self.sh = shingles(text)
        self.norm = normalize(text)
        self.group = None           # index into exact-duplicate groups
        self.near_of = None


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.records: list[Rec] = []
        self.norms: set[str] = set()
        self.rejections = 0
        self.used_ids: set[str] = {"90001", "90002", "90003", "90004", MALFORMED_CSV_ROW[2]}

    # ------------------------------------------------------------ helpers
    def fmt_date(self, lang, y, m, d):
        month = MONTHS[lang].split()[m - 1]
        return DATE_FMT[lang].format(d=d, m=month, y=y)

    def random_date(self, lo, hi):
        y = self.rng.randint(lo, hi)
        return y, self.rng.randint(1, 12), self.rng.randint(1, 28)

    def pick_span(self, work, target):
        rng = self.rng
        n = len(work.units)
        lens = [len(s) + 1 for _, s in work.units]
        start = rng.randrange(n)
        j, total = start, 0
        while j < n and total < target:
            total += lens[j]
            j += 1
        i = start
        while i > 0 and total < 0.8 * target:
            i -= 1
            total += lens[i]
        return i, j

    def target_length(self):
        r = self.rng.random()
        if r < 0.25:
            return self.rng.randint(200, 500)
        if r < 0.65:
            return self.rng.randint(500, 1200)
        if r < 0.90:
            return self.rng.randint(1200, 2200)
        return self.rng.randint(2200, 3000)

    def heading(self, lang, n):
        return CHAPTER[lang].format(n=roman(n))

    # ------------------------------------------------------------ framing
    def frame(self, source, work, passage, first):
        rng, lang = self.rng, work.lang
        if source == "books":
            r = rng.random()
            if first and r < 0.5:
                return f"{work.title.upper()}\n\n{work.byline}\n\n{self.heading(lang, 1)}\n\n{passage}"
            if r < 0.65:
                return f"{self.heading(lang, 1 if first else rng.randint(2, 40))}\n\n{passage}"
            return passage
        if source == "newspapers":
            parts = []
            r = rng.random()
            if r < 0.6:
                parts.append(FEUILLETON[lang].format(title=work.title, byline=work.byline))
            elif r < 0.8:  # dateline without the year, as papers print it
                _, m, d = self.random_date(1900, 1900)
                date = self.fmt_date(lang, 0, m, d).replace(", 0", "").replace(" de 0", "").replace(" 0", "")
                parts.append(f"{rng.choice(CITIES[lang]).upper()}, {date}.")
            parts.append(passage)
            if rng.random() < 0.4:
                parts.append(TO_BE_CONTINUED[lang])
            return "\n\n".join(parts)
        if source == "letters":
            lo = max(work.year, 1780) + 1
            y, m, d = self.random_date(lo, max(lo + 3, 1925))
            head = f"{rng.choice(CITIES[lang])}, {self.fmt_date(lang, y, m, d)}"
            closing = rng.choice(CLOSINGS[lang]).format(sig=rng.choice(SIGNATURES[lang]))
            if work.kind == "letters":
                return f"{head}\n\n{passage}\n\n{closing}"
            intro = rng.choice(INTROS[lang]).format(title=QUOTE[lang].format(work.title), byline=work.byline)
            after = rng.choice(AFTERWORDS[lang])
            return f"{head}\n\n{rng.choice(SALUTATIONS[lang])}\n\n{intro}\n\n{passage}\n\n{after}\n\n{closing}"
        if source == "wiki":
            r = rng.random()
            if r < 0.5:
                return f"{work.title}\n{work.byline}\n\n{passage}"
            if r < 0.75:
                n = 1 if first else rng.randint(2, 40)
                return f"{work.title} — {SUBPAGE[lang].format(n=n)}\n\n{passage}"
            return passage
        raise ValueError(source)

    # ------------------------------------------------------------ acceptance
    def conflicts(self, rec: Rec, ignore=()) -> float:
        """Highest Jaccard against any accepted record of the same language."""
        worst = 0.0
        for other in self.records:
            if other.lang != rec.lang or other in ignore:
                continue
            worst = max(worst, jaccard(rec.sh, other.sh))
        return worst

    def accept(self, rec: Rec, check=True) -> bool:
        # no characters that str.splitlines() would treat as line breaks inside a JSON line
        assert not any(c in rec.text for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), rec.text[:60]
        if check:
            if rec.norm in self.norms or self.conflicts(rec) >= UNPLANNED_MAX_JACCARD:
                self.rejections += 1
                return False
        self.norms.add(rec.norm)
        self.records.append(rec)
        return True

    # ------------------------------------------------------------ base records
    def make_base(self, source, lang):
        rng = self.rng
        works = BY_LANG[lang]
        for _ in range(400):
            if source == "letters" and rng.random() < 0.35:
                pool = [w for w in works if w.kind == "letters"] or works
            else:
                pool = works
            work = rng.choices(pool, weights=[w.chars for w in pool])[0]
            i, j = self.pick_span(work, self.target_length())
            passage = work.render(i, j)
            text = self.frame(source, work, passage, first=(i == 0))
            if len(text) < 200:
                continue
            rec = Rec(source, lang, work, text, [s for _, s in work.units[i:j]])
            if self.accept(rec):
                return rec
        raise SystemExit(f"could not place a {source}/{lang} record; lower BASE_COUNTS or add passages")

    def make_anthology(self, source, lang):
        """A long record: excerpts of three or four works, each under its own heading."""
        rng = self.rng
        for _ in range(400):
            works = rng.sample(BY_LANG[lang], rng.randint(3, 4))
            parts, sentences = [], []
            for work in works:
                i, j = self.pick_span(work, rng.randint(450, 800))
                piece = f"{work.title.upper()}\n{work.byline}\n\n{work.render(i, j)}"
                if sum(len(p) + 2 for p in parts) + len(piece) > 3000:
                    break
                parts.append(piece)
                sentences += [s for _, s in work.units[i:j]]
            if len(parts) < 3:
                continue
            rec = Rec(source, lang, ANTHOLOGY_WORKS[lang], "\n\n".join(parts), sentences)
            if self.accept(rec):
                return rec
        raise SystemExit(f"could not place an anthology {source}/{lang}")

    def make_short(self, source, work_key, text):
        work = BY_KEY[work_key]
        rec = Rec(source, work.lang, work, text, [text], short=True)
        if not self.accept(rec):
            raise SystemExit(f"short text clashes: {text!r}")
        return rec

    # ------------------------------------------------------------ variations
    @staticmethod
    def safe_case(s: str, upper: bool) -> str:
        out = []
        for ch in s:
            alt = ch.upper() if upper else ch.lower()
            out.append(alt if len(alt) == 1 and alt.lower() == ch.lower() else ch)
        return "".join(out)

    def vary(self, text: str, kind: str) -> str:
        rng = self.rng
        if kind == "identical":
            out = text
        elif kind == "whitespace":
            words = text.split(" ")
            out = words[0]
            for w in words[1:]:
                out += rng.choice([" ", " ", " ", "  ", " \t"]) + w
            out = "  " + out + "\n\n"
        elif kind == "crlf":
            out = text.replace("\n", "\r\n") + "\r\n"
        elif kind == "reflow":
            out = " ".join(p.replace("\n", " ") for p in text.split("\n\n"))
        elif kind == "rewrap":
            out = "\n\n".join(textwrap.fill(p, width=70, break_long_words=False, break_on_hyphens=False)
                              for p in text.split("\n\n"))
        elif kind == "case":
            first, _, rest = text.partition("\n")
            if any(c.islower() for c in first):
                first = self.safe_case(first, upper=True)
            else:
                first = first[:1] + self.safe_case(first[1:], upper=False)
            out = first + ("\n" + rest if rest else "")
        elif kind == "nfd":
            out = unicodedata.normalize("NFD", text)
        elif kind == "nbsp":
            out = text
            for p in (" ;", " :", " !", " ?", " »", "« "):
                out = out.replace(p, p.replace(" ", "\u00a0"))
            words = out.split(" ")
            out = words[0] + "".join(rng.choice([" ", " ", "\u00a0"]) + w for w in words[1:])
        else:
            raise ValueError(kind)
        assert normalize(out) == normalize(text), kind
        assert kind == "identical" or out != text, kind
        return out

    def near_variant(self, rec: Rec, kind: str) -> str:
        rng, text, lang = self.rng, rec.text, rec.lang
        inner = [s for s in rec.sentences[1:-1] if text.count(s) == 1 and len(s) > 40]
        if kind == "ocr_noise":
            words = text.split(" ")
            subs = [("h", "b"), ("e", "c"), ("m", "rn"), ("n", "u"), ("l", "1"), ("o", "0")]
            idx = [k for k, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
            for k in rng.sample(idx, max(2, len(idx) // 40)):
                for a, b in rng.sample(subs, len(subs)):
                    if a in words[k]:
                        words[k] = words[k].replace(a, b, 1)
                        break
            return " ".join(words)
        if kind == "notice_added":
            return text + "\n\n" + REPRINT_NOTICE[lang]
        if not inner:
            return None
        s = rng.choice(inner)
        if kind == "sentence_changed":
            return text.replace(s, ALT_SENTENCE[lang], 1)
        if kind == "sentence_dropped":
            return text.replace(" " + s, "", 1) if (" " + s) in text else text.replace(s + " ", "", 1)
        raise ValueError(kind)

    # ------------------------------------------------------------ build
    def build(self):
        rng = self.rng
        # 1. base records, languages spread by LANG_WEIGHTS within each source
        total_w = sum(LANG_WEIGHTS.values())
        for source, count in BASE_COUNTS.items():
            quota = {lang: count * LANG_WEIGHTS[lang] // total_w for lang in LANGS}
            by_rest = sorted(LANGS, key=lambda lang: -(count * LANG_WEIGHTS[lang] % total_w))
            for lang in by_rest[:count - sum(quota.values())]:
                quota[lang] += 1
            langs = [lang for lang in LANGS for _ in range(quota[lang])]
            rng.shuffle(langs)
            for lang in langs:
                self.make_base(source, lang)
        for source, per_lang in ANTHOLOGY_COUNTS.items():
            for lang in LANGS:
                for _ in range(per_lang):
                    self.make_anthology(source, lang)
        for (work_key, text), source in zip(SHORT, SHORT_SOURCES):
            self.make_short(source, work_key, text)

        base = list(self.records)
        used = set()

        def pick(source, min_words=0):
            cands = [r for r in base if r.source == source and not r.short and id(r) not in used
                     and len(r.norm.split()) >= min_words]
            r = rng.choice(cands)
            used.add(id(r))
            return r

        # 2. exact duplicates
        self.groups = []
        for origin, targets in DUP_GROUPS:
            while True:
                src = pick(origin, min_words=40)
                try:
                    texts = [self.vary(src.text, kind) for _, kind in targets]
                except AssertionError:   # e.g. "nfd" on a text without accents
                    used.discard(id(src))
                    continue
                break
            members = [(src, "original")]
            for (target, kind), text in zip(targets, texts):
                dup = Rec(target, src.lang, src.work, text, src.sentences, role="dup")
                self.accept(dup, check=False)
                members.append((dup, kind))
            for r, _ in members:
                r.group = len(self.groups)
            self.groups.append(members)

        # 3. planned near duplicates
        self.near = []
        for origin, target, kind in NEAR_PAIRS:
            for _ in range(200):
                src = pick(origin, min_words=120)
                text = self.near_variant(src, kind)
                if text is None:
                    continue
                cand = Rec(target, src.lang, src.work, text, src.sentences, role="near")
                j = jaccard(src.sh, cand.sh)
                others = self.conflicts(cand, ignore=(src,))
                if NEAR_MIN_JACCARD <= j < 1.0 and others < UNPLANNED_MAX_JACCARD \
                        and cand.norm not in self.norms:
                    self.accept(cand, check=False)
                    cand.near_of = src
                    self.near.append((src, cand, kind, j))
                    break
            else:
                raise SystemExit(f"could not build near-duplicate {origin}->{target} {kind}")

        # 4. ids and metadata per source
        for source in BASE_COUNTS:
            recs = [r for r in self.records if r.source == source]
            rng.shuffle(recs)
            getattr(self, f"meta_{source}")(recs)
            self.__dict__[source] = recs

    # ------------------------------------------------------------ metadata
    def new_id(self, make):
        while True:
            value = str(make())
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def meta_books(self, recs):
        rng = self.rng
        for r in recs:
            w = r.work
            if w.gid and str(w.gid) not in self.used_ids:
                r.id = self.new_id(lambda: w.gid)
            else:
                r.id = self.new_id(lambda: rng.randint(20000, 69999))
            x = rng.random()
            issued = w.year
            if x < 0.08:
                rights = COPYRIGHTED
                issued = rng.randint(1930, 1998)   # a later, copyrighted edition
            elif x < 0.12:
                rights = None                      # key missing
            elif x < 0.15:
                rights = ""
            else:
                rights = PD_USA
                if rng.random() < 0.2:
                    issued = rng.randint(w.year, max(w.year, min(w.year + 60, 1928)))
            rec = {"book_id": r.id, "body": r.text}
            if rights is not None:
                rec["rights"] = rights
            rec["link"] = f"https://www.gutenberg.org/ebooks/{r.id}"
            rec["issued"] = str(issued)
            rec["title"] = w.title
            rec["author"] = {"name": w.author, "death_year": w.died}
            rec["lang"] = w.lang
            r.meta = rec
            r.year = issued
            r.rights = rights

    def newspaper_rights(self, year, country):
        pools = (
            [(INC, 40), (INC_EDU, 15), (RR_F, 10), (CC_BY, 8), (CC_BY_NC, 8), ("", 10), (US_GOV, 3)]
            if year >= 1930 else
            [(NOC_US, 70), (PDM, 8), (NO_KNOWN, 10), ("", 5), (US_GOV, 4), (CC0, 3)]
            if country == "us" else
            [(PDM, 25), (PDM_HTTP, 10), (NKC, 15), (CC0, 12), (NO_KNOWN, 10), (RR_F, 8), ("", 7),
             (CC_BY, 5), (INC, 3)]
        )
        return self.rng.choices([p for p, _ in pools], weights=[wt for _, wt in pools])[0]

    def newspaper_url(self, country, y, m, d):
        rng = self.rng
        ymd = f"{y:04d}{m:02d}{d:02d}"
        if country == "us":
            return f"https://chroniclingamerica.loc.gov/lccn/sn8{rng.randint(3000000, 4999999)}/{y:04d}-{m:02d}-{d:02d}/ed-1/seq-{rng.randint(1, 12)}/"
        if country == "gb":
            return f"https://www.britishnewspaperarchive.co.uk/viewer/bl/{rng.randint(1000000, 9999999):07d}/{ymd}/{rng.randint(1, 99):03d}/0{rng.randint(1, 8)}"
        if country == "fr":
            return f"https://gallica.bnf.fr/ark:/12148/bpt6k{rng.randint(100000, 9999999)}{rng.choice('abcdefghjkmnpqrstvwxz')}"
        if country == "at":
            return f"https://anno.onb.ac.at/cgi-content/anno?aid=nfp&datum={ymd}&seite={rng.randint(1, 24)}"
        if country == "nl":
            return f"https://resolver.kb.nl/resolve?urn=ddd:{rng.randint(10000000, 99999999):09d}:mpeg21:a{rng.randint(1, 200):04d}"
        if country == "pl":
            return f"https://polona.pl/item/{rng.randint(10000000, 99999999)}"
        return f"https://www.europeana.eu/item/9200300/BibliographicResource_3000{rng.randint(100000000, 999999999)}"

    def meta_newspapers(self, recs):
        rng = self.rng
        for r in recs:
            w = r.work
            lo = max(w.year, 1785)
            late = rng.random() < 0.25
            while True:
                if late:
                    y, m, d = self.random_date(max(lo, 1930), 1995)
                else:
                    y, m, d = self.random_date(lo, max(lo, 1929))
                papers = [p for p in NEWSPAPERS[r.lang] if p[2] <= y <= p[3]]
                if papers:
                    break
            paper, country = rng.choice(papers)[:2]
            slug = "".join(c if c.isalnum() else "-" for c in
                           unicodedata.normalize("NFKD", paper.lower()).encode("ascii", "ignore").decode())
            r.id = self.new_id(lambda: f"{slug}-{y:04d}{m:02d}{d:02d}-{rng.randint(1, 40):02d}")
            rights = self.newspaper_rights(y, country)
            r.meta = {"article_id": r.id, "text": r.text, "license_url": rights,
                      "source_url": self.newspaper_url(country, y, m, d),
                      "published": f"{y:04d}-{m:02d}-{d:02d}", "newspaper": paper, "language": r.lang}
            r.year = y
            r.rights = rights

    def meta_letters(self, recs):
        for n, r in enumerate(recs, 1):
            r.id = f"{r.lang}/letter-{n:04d}"
            self.used_ids.add(r.id)
            r.meta = {}
            r.year = None
            r.rights = None

    def meta_wiki(self, recs):
        rng = self.rng
        names = [x[0] for x in WIKI_LICENSES]
        weights = [x[2] for x in WIKI_LICENSES]
        for r in recs:
            w = r.work
            r.id = self.new_id(lambda: rng.randint(100000, 4999999))
            first = r.text.split("\n", 1)[0]
            sub = first.split(" — ", 1)[1] if " — " in first else SUBPAGE[r.lang].format(n=rng.randint(1, 40))
            title = f"{w.title}/{sub}"
            k = rng.choices(range(len(names)), weights=weights)[0]
            short, url = WIKI_LICENSES[k][0], WIKI_LICENSES[k][1]
            ext = None
            if short != "<no extmetadata>":
                ext = {}
                if short is not None:
                    ext["LicenseShortName"] = {"value": short, "source": "commons-desc-page"}
                if url is not None:
                    ext["LicenseUrl"] = {"value": url, "source": "commons-desc-page"}
                if rng.random() < 0.6:
                    ext["Artist"] = {"value": w.byline, "source": "commons-desc-page"}
                if rng.random() < 0.6:
                    ext["DateTimeOriginal"] = {"value": str(w.year), "source": "commons-desc-page"}
            y, m, d = self.random_date(2006, 2023)
            ts = f"{y:04d}-{m:02d}-{d:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
            rec = {"pageid": int(r.id), "title": title, "pagelanguage": r.lang,
                   "revision": {"revid": rng.randint(1000000, 99999999), "text": r.text}}
            if ext is not None:
                rec["extmetadata"] = ext
            rec["url"] = f"https://{r.lang}.wikisource.org/wiki/{quote(title.replace(' ', '_'))}"
            rec["timestamp"] = ts
            r.meta = rec
            original = (ext or {}).get("DateTimeOriginal", {}).get("value")
            r.year = int(original) if original else None
            r.rights = None if ext is None else {k2: v["value"] for k2, v in ext.items()
                                                 if k2 in ("LicenseShortName", "LicenseUrl")}


# =============================================================================
# MALFORMED INPUT (deliberate). All four go into books/gutenberg-sample-02.jsonl.gz
# at fixed line numbers, and one CSV row goes into the second newspapers file.
# pdcorpus must count and set these aside, not crash.
# =============================================================================
MALFORMED_BOOK_LINES = [
    # 1. not valid JSON: the line is truncated (as if the exporter died mid-write)
    ("invalid_json", 7, "90001",
     b'{"book_id": "90001", "body": "It was a dark and stormy night; the rain fell in torrents, '
     b'except at occasional intervals, when it was checked by a violent gust of wind", '
     b'"rights": "Public domain in the USA.", "link": "https://www.gutenberg.org/eb'),
    # 2. invalid UTF-8: a record written in Latin-1 by mistake (0xE9 for "é" etc.)
    ("invalid_utf8", 19, "90002",
     json.dumps({"book_id": "90002",
                 "body": "Le nouveau, resté dans l'angle, derrière la porte, était un gars de la "
                         "campagne, d'une quinzaine d'années environ, et plus haut de taille "
                         "qu'aucun de nous tous.",
                 "rights": PD_USA, "link": "https://www.gutenberg.org/ebooks/90002", "issued": "1857",
                 "title": "Madame Bovary", "author": {"name": "Flaubert, Gustave", "death_year": 1880},
                 "lang": "fr"}, ensure_ascii=False).encode("latin-1")),
    # 3. the text field ("body") is missing
    ("missing_text", 31, "90003",
     json.dumps({"book_id": "90003", "rights": PD_USA, "link": "https://www.gutenberg.org/ebooks/90003",
                 "issued": "1851", "title": "Moby-Dick; or, The Whale",
                 "author": {"name": "Melville, Herman", "death_year": 1891}, "lang": "en"}).encode()),
    # 4. the text field is a number instead of a string
    ("non_string_text", 44, "90004",
     json.dumps({"book_id": "90004", "body": 2701, "rights": PD_USA,
                 "link": "https://www.gutenberg.org/ebooks/90004", "issued": "1851",
                 "title": "Moby-Dick; or, The Whale",
                 "author": {"name": "Melville, Herman", "death_year": 1891}, "lang": "en"}).encode()),
]
# 5. CSV row whose text cell is empty (data row number, 1-based, header excluded)
MALFORMED_CSV_ROW = ("empty_text", 12, "le-temps-19120405-07")

CSV_FIELDS = ["article_id", "text", "license_url", "source_url", "published", "newspaper", "language"]


def gzip_bytes(name: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    return buf.getvalue()


def clean_outputs():
    """Remove only files this script creates (others under samples/ are kept)."""
    patterns = ["books/*.jsonl.gz", "newspapers/*.csv", "letters/*/*.txt", "wiki/*.jsonl"]
    for pat in patterns:
        for p in OUT.glob(pat):
            p.unlink()
    for d in (OUT / "letters").glob("*"):
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()


def write(gen: Generator):
    clean_outputs()
    files = {}        # relative path -> bytes
    where = {}        # id(rec) -> (file, line/row)
    malformed = []

    # ---- books: two gzip'd JSONL files; file 1 escapes non-ASCII (\uXXXX),
    # file 2 writes raw UTF-8 and carries the malformed lines.
    books = gen.books
    half = len(books) // 2
    for n, (chunk, ascii_) in enumerate([(books[:half], True), (books[half:], False)], 1):
        rel = f"books/gutenberg-sample-{n:02d}.jsonl.gz"
        lines = [json.dumps(r.meta, ensure_ascii=ascii_).encode("utf-8") for r in chunk]
        owners = list(chunk)
        if n == 2:
            for kind, lineno, bid, raw in MALFORMED_BOOK_LINES:
                lines.insert(lineno - 1, raw)
                owners.insert(lineno - 1, None)
                malformed.append({"source": "books", "kind": kind, "file": rel, "line": lineno, "id": bid})
        for k, r in enumerate(owners, 1):
            if r is not None:
                where[id(r)] = (rel, k)
        files[rel] = gzip_bytes(rel.rsplit("/", 1)[1][:-3], b"\n".join(lines) + b"\n")

    # ---- newspapers: two CSV files split by date; cells contain newlines
    news = sorted(gen.newspapers, key=lambda r: (r.meta["published"], r.id))
    early = [r for r in news if r.year < 1900]
    late = [r for r in news if r.year >= 1900]
    for rel, chunk in [("newspapers/newspapers-1785-1899.csv", early),
                       ("newspapers/newspapers-1900-1995.csv", late)]:
        rows = [dict(r.meta) for r in chunk]
        owners = list(chunk)
        if rel.endswith("1900-1995.csv"):
            kind, rowno, aid = MALFORMED_CSV_ROW
            bad = {"article_id": aid, "text": "", "license_url": NKC,
                   "source_url": "https://gallica.bnf.fr/ark:/12148/bpt6k7123456t",
                   "published": "1912-04-05", "newspaper": "Le Temps", "language": "fr"}
            rows.insert(rowno - 1, bad)
            owners.insert(rowno - 1, None)
            malformed.append({"source": "newspapers", "kind": kind, "file": rel, "row": rowno, "id": aid})
        for k, r in enumerate(owners, 1):
            if r is not None:
                where[id(r)] = (rel, k)
        sio = io.StringIO(newline="")
        w = csv.DictWriter(sio, fieldnames=CSV_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        files[rel] = sio.getvalue().encode("utf-8")

    # ---- letters: one UTF-8 file per letter
    for r in gen.letters:
        rel = f"letters/{r.id}.txt"
        files[rel] = (r.text if r.text.endswith("\n") else r.text + "\n").encode("utf-8")
        where[id(r)] = (rel, None)

    # ---- wiki: one plain JSONL file
    rel = "wiki/wikisource-pages.jsonl"
    files[rel] = b"".join(json.dumps(r.meta, ensure_ascii=False).encode("utf-8") + b"\n" for r in gen.wiki)
    for k, r in enumerate(gen.wiki, 1):
        where[id(r)] = (rel, k)

    for rel, data in files.items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files, where, malformed


def letter_text(r):
    return r.text if r.text.endswith("\n") else r.text + "\n"


def expected(gen: Generator, files, where, malformed):
    def stored_text(r):
        return letter_text(r) if r.source == "letters" else r.text

    def ref(r):
        return {"source": r.source, "id": r.id}

    sources = {}
    kinds = {"books": "jsonl.gz", "newspapers": "csv", "letters": "txt", "wiki": "jsonl"}
    fields = {
        "books": {"id": "book_id", "text": "body", "rights": "rights", "url": "link", "date": "issued",
                  "title": "title", "author": "author.name", "author_death_year": "author.death_year",
                  "language": "lang"},
        "newspapers": {"id": "article_id", "text": "text", "rights": "license_url", "url": "source_url",
                       "date": "published", "title": "newspaper", "language": "language"},
        "letters": {"id": "<relative path without .txt>", "text": "<file content>",
                    "language": "<first path component>"},
        "wiki": {"id": "pageid", "text": "revision.text", "rights": "extmetadata.LicenseShortName.value",
                 "rights_url": "extmetadata.LicenseUrl.value", "url": "url", "date": "timestamp",
                 "date_original": "extmetadata.DateTimeOriginal.value", "author": "extmetadata.Artist.value",
                 "title": "title", "language": "pagelanguage"},
    }
    for source in BASE_COUNTS:
        recs = getattr(gen, source)
        mal = [m for m in malformed if m["source"] == source]
        flist = []
        for rel in sorted(f for f in files if f.startswith(source + "/")):
            entry = {"path": rel, "bytes": len(files[rel]), "sha256": hashlib.sha256(files[rel]).hexdigest()}
            if kinds[source] in ("jsonl", "jsonl.gz"):
                raw = gzip.decompress(files[rel]) if rel.endswith(".gz") else files[rel]
                entry["lines"] = raw.count(b"\n")
            elif kinds[source] == "csv":
                entry["rows"] = sum(1 for v in where.values() if v[0] == rel) + \
                    sum(1 for m in mal if m["file"] == rel)
            flist.append(entry)
        by_kind = {}
        for m in mal:
            by_kind[m["kind"]] = by_kind.get(m["kind"], 0) + 1
        langs = {}
        for r in recs:
            langs[r.lang] = langs.get(r.lang, 0) + 1
        sources[source] = {
            "format": kinds[source],
            "files": flist,
            "file_count": len(flist),
            "input_records": len(recs) + len(mal),
            "valid_records": len(recs),
            "malformed": by_kind,
            "malformed_detail": mal,
            "fields": fields[source],
            "languages": dict(sorted(langs.items())),
        }

    groups = []
    for members in gen.groups:
        groups.append({"normalized_sha256": norm_hash(members[0][0].text),
                       "members": [dict(ref(r), variation=kind) for r, kind in members]})
    groups.sort(key=lambda g: (g["members"][0]["source"], g["members"][0]["id"]))
    near = [{"a": ref(a), "b": ref(b), "change": kind, "jaccard_word5": round(j, 4)}
            for a, b, kind, j in gen.near]

    # verify the planned/unplanned split over every same-language pair
    planned = set()
    for members in gen.groups:
        for a, _ in members:
            for b, _ in members:
                planned.add((id(a), id(b)))
    for a, b, _, _ in gen.near:
        planned.add((id(a), id(b)))
        planned.add((id(b), id(a)))
    worst = 0.0
    allrecs = gen.records
    for x in range(len(allrecs)):
        for y in range(x + 1, len(allrecs)):
            a, b = allrecs[x], allrecs[y]
            if a.lang != b.lang or (id(a), id(b)) in planned:
                continue
            assert a.norm != b.norm, (a.id, b.id)
            worst = max(worst, jaccard(a.sh, b.sh))
    assert worst < UNPLANNED_MAX_JACCARD

    # every rights statement the sample promises is present somewhere
    seen = set()
    for r in allrecs:
        if r.source == "books":
            seen.add(r.rights if r.rights is not None else "<missing>")
        elif r.source == "newspapers":
            seen.add(r.rights)
        elif r.source == "wiki":
            seen.update((r.rights or {}).values())
    for needed in [PD_USA, COPYRIGHTED, CC0, PDM, PDM_HTTP, CC_BY, CC_BY_NC, NOC_US, INC, INC_EDU, NKC,
                   RR_F, NO_KNOWN, US_GOV, "CC BY-SA 3.0", "CC BY-SA 4.0", "CC BY-NC 4.0", "", "<missing>"]:
        assert needed in seen, needed

    valid = len(allrecs)
    dups_to_drop = sum(len(m) - 1 for m in gen.groups)
    langs = {}
    for r in allrecs:
        langs[r.lang] = langs.get(r.lang, 0) + 1
    rows = []
    for source in BASE_COUNTS:
        for r in sorted(getattr(gen, source), key=lambda r: where[id(r)]):
            f, line = where[id(r)]
            row = {"source": r.source, "id": r.id, "file": f}
            if line is not None:
                row["row" if source == "newspapers" else "line"] = line
            row.update({"lang": r.lang, "chars": len(stored_text(r)), "year": r.year, "rights": r.rights,
                        "work": r.work.key, "role": r.role, "short": r.short,
                        "dup_group": r.group, "normalized_sha256": norm_hash(r.text)})
            if source == "books":
                row["author_death_year"] = r.work.died
            rows.append(row)
    # group numbers in rows follow the sorted order of "exact_duplicate_groups"
    order = {}
    for k, g in enumerate(groups):
        order[g["normalized_sha256"]] = k
    for row in rows:
        if row["dup_group"] is not None:
            row["dup_group"] = order[row["normalized_sha256"]]

    return {
        "generator": "samples/generate.py",
        "seed": SEED,
        "normalization": "unicodedata.normalize('NFC', text).lower(), whitespace runs (str.split) "
                         "collapsed to one space, stripped",
        "ids": "all ids are given as strings here (wiki pageid is an integer in the data)",
        "sources": sources,
        "totals": {
            "files": sum(s["file_count"] for s in sources.values()),
            "input_records": sum(s["input_records"] for s in sources.values()),
            "malformed": len(malformed),
            "valid_records": valid,
            "exact_duplicate_groups": len(groups),
            "records_in_exact_duplicate_groups": sum(len(g["members"]) for g in groups),
            "exact_duplicates_to_drop": dups_to_drop,
            "unique_after_exact_dedup": valid - dups_to_drop,
            "cross_source_groups": sum(1 for g in groups if len({m["source"] for m in g["members"]}) > 1),
            "planned_near_duplicate_pairs": len(near),
            "short_records": sum(1 for r in allrecs if r.short),
            "languages": dict(sorted(langs.items())),
        },
        "exact_duplicate_groups": groups,
        "near_duplicates": {
            "shingles": f"word {SHINGLE}-grams of the normalized text, Jaccard similarity",
            "planned_pairs": near,
            "unplanned_max_jaccard": round(worst, 4),
            "guarantee": f"every pair not in one exact group and not a planned pair has Jaccard < "
                         f"{UNPLANNED_MAX_JACCARD}; planned pairs have Jaccard >= {NEAR_MIN_JACCARD}",
        },
        "records": rows,
    }


def readme(exp) -> str:
    s, t = exp["sources"], exp["totals"]

    def files_of(name):
        return ", ".join(f"`{f['path']}`" for f in s[name]["files"]) if name != "letters" else \
            f"{s['letters']['file_count']} files `letters/<lang>/letter-NNNN.txt`"

    def mal(name):
        m = s[name]["malformed"]
        return ", ".join(f"{v} {k}" for k, v in sorted(m.items())) or "none"

    kinds = {}
    for g in exp["exact_duplicate_groups"]:
        for m in g["members"][1:]:
            kinds[m["variation"]] = kinds.get(m["variation"], 0) + 1
    near_kinds = {}
    for p in exp["near_duplicates"]["planned_pairs"]:
        near_kinds[p["change"]] = near_kinds.get(p["change"], 0) + 1
    langs = ", ".join(f"{k} {v}" for k, v in t["languages"].items())
    return f"""# pdcorpus offline sample

Generated by `python samples/generate.py` (standard library only, seed {exp['seed']}).
Do not edit the data files by hand: change the generator and run it again. Two runs
give byte-identical files (the gzip bytes assume the same zlib; `.gitattributes`
keeps git from touching line endings). `EXPECTED.json` holds the ground truth the generator
knows (counts, malformed lines, duplicate groups, one row per record) for tests to
compare pdcorpus's manifest against.

## Content

The texts are public-domain works (Austen, Dickens, Melville, Hugo, Dumas, Flaubert,
Goethe, Kafka, Cervantes, Galdós, Manzoni, Collodi, Multatuli, Couperus, Prus,
Sienkiewicz, Reymont, ...) reconstructed from memory: real, natural language,
close to but not always identical with the original wording; a few passages
(marked "loose" in the generator) are free reconstructions in the manner of the
named work. Each record is an excerpt (a run of consecutive sentences) of one
passage, wrapped in framing typical of its source (chapter headings, feuilleton
headers, letter salutations and closings); a few books and wiki pages are
schoolbook anthologies (author "Various") made of excerpts of three or four works,
which gives the longest records (about 2,000-3,000 characters). Because all records draw on a small
pool of passages, many share sentences or paragraphs; any line- or paragraph-level
deduplication will find repeats. Document-level similarity is controlled (below).

All metadata is synthetic: ids, URLs, dates, rights statements, newspaper issues
and letter writers are chosen to exercise pdcorpus and describe no real catalogue
entry. Dates run from 1472 (a Dante edition), 1554 (Lazarillo) and the 1600s to the 1990s; about a
quarter of newspaper items and a few book editions are dated after 1930, and
author death years range from 1616 to 1962 (Mann 1955, Hesse 1962: public domain
in the USA, not yet everywhere).

{t['input_records']} input records in {t['files']} files, {t['malformed']} of them malformed,
{t['valid_records']} valid. Languages of the valid records: {langs}.
{t['short_records']} records are very short (30-80 characters).

## Sources

### books: Gutenberg-like JSONL, gzip-compressed
Files: {files_of('books')} ({s['books']['input_records']} lines).
The first file escapes non-ASCII characters (`\\u00e9`), the second writes raw UTF-8.

```json
{{"book_id": "1342", "body": "...", "rights": "Public domain in the USA.",
 "link": "https://www.gutenberg.org/ebooks/1342", "issued": "1813",
 "title": "Pride and Prejudice", "author": {{"name": "Austen, Jane", "death_year": 1817}}, "lang": "en"}}
```
- `author.name` / `author.death_year` are nested on purpose (dotted-path mapping);
  `death_year` is null for an anonymous work.
- `rights`: mostly "Public domain in the USA.", some "Copyrighted. Read the copyright
  notice inside this book for details." (those carry a post-1930 `issued` year),
  some empty strings, and some records have no `rights` key at all.
- `issued` is a year as a string.
- Malformed: {mal('books')}; all in the second file, at lines
  {', '.join(str(m['line']) for m in s['books']['malformed_detail'])}
  (a truncated JSON line, a line in Latin-1 instead of UTF-8, a record without `body`,
  a record whose `body` is the number 2701).

### newspapers: CSV with a header row
Files: {files_of('newspapers')} ({s['newspapers']['input_records']} data rows).
Columns: `article_id,text,license_url,source_url,published,newspaper,language`.
- `text` cells contain newlines and quotes (RFC 4180 quoting), so physical lines
  are not rows. Rows end with `\\n`.
- `license_url`: rightsstatements.org NoC-US, InC, InC-EDU and NKC URIs, the
  Public Domain Mark (both `https://` and Europeana's `http://` spelling), CC0,
  CC BY 4.0, CC BY-NC 4.0, Europeana `http://www.europeana.eu/rights/rr-f/`, plain
  text "No known copyright restrictions" and "United States Government work", or empty.
- `published` is an ISO date, `language` an ISO 639-1 code.
- Malformed: {mal('newspapers')} (row {s['newspapers']['malformed_detail'][0]['row']} of
  `{s['newspapers']['malformed_detail'][0]['file']}`, id `{s['newspapers']['malformed_detail'][0]['id']}`, has an empty `text` cell).

### letters: plain-text files, one document per file
Files: {files_of('letters')}, in one sub-folder per language. The id is the
path relative to `letters/` without `.txt` (e.g. `en/letter-0001`), the language is
the folder name. UTF-8; some files are in decomposed Unicode (NFD) or use CRLF line endings
(each an exact duplicate of another record once normalized). The files
carry no rights metadata: configure a source-level default (the texts are public
domain). Malformed: none.

### wiki: Wikisource-like pages, plain JSONL
Files: {files_of('wiki')} ({s['wiki']['input_records']} lines).

```json
{{"pageid": 123456, "title": "Emma/Chapter 1", "pagelanguage": "en",
 "revision": {{"revid": 1234567, "text": "..."}},
 "extmetadata": {{"LicenseShortName": {{"value": "CC BY-SA 4.0", "source": "commons-desc-page"}},
                 "LicenseUrl": {{"value": "https://creativecommons.org/licenses/by-sa/4.0", "source": "commons-desc-page"}},
                 "Artist": {{"value": "Jane Austen", ...}}, "DateTimeOriginal": {{"value": "1815", ...}}}},
 "url": "https://en.wikisource.org/wiki/Emma/Chapter_1", "timestamp": "2014-03-02T11:22:33Z"}}
```
- `pageid` is an integer; text at `revision.text`.
- Licences: CC BY-SA 4.0 / 3.0, "Public domain", CC0, CC BY 4.0, CC BY-NC 4.0,
  Public Domain Mark, "United States Government work", "No known copyright
  restrictions", an empty value; some pages have `extmetadata` without licence keys
  and some have no `extmetadata` at all. `Artist` and `DateTimeOriginal` are optional.
- Malformed: none.

## Duplicates (on purpose)

Normalization: NFC, lower-case, whitespace runs collapsed to one space, stripped.

- {t['exact_duplicate_groups']} exact-duplicate groups with {t['records_in_exact_duplicate_groups']} records;
  dropping all but one per group removes {t['exact_duplicates_to_drop']} records
  ({100 * t['exact_duplicates_to_drop'] / t['valid_records']:.1f}% of valid records), leaving
  {t['unique_after_exact_dedup']}. {t['cross_source_groups']} groups span two or three sources
  (a Gutenberg chapter that is also a Wikisource page, a serial reprinted in a newspaper, ...).
- Copies differ from the original by: {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}
  ("whitespace": doubled spaces, tabs, leading/trailing blanks; "rewrap": hard-wrapped at
  70 columns; "reflow": paragraphs joined; "case": first line in other case;
  "crlf": Windows line endings; "nfd": decomposed accents; "nbsp": no-break spaces).
- {t['planned_near_duplicate_pairs']} planned near-duplicate pairs
  ({', '.join(f'{k} {v}' for k, v in sorted(near_kinds.items()))}), each with word-5-gram
  Jaccard >= {NEAR_MIN_JACCARD}. Every other pair of records has Jaccard <
  {UNPLANNED_MAX_JACCARD} (highest: {exp['near_duplicates']['unplanned_max_jaccard']}).

## Malformed input (on purpose)

| source | kind | where |
| --- | --- | --- |
""" + "".join(
        f"| {m['source']} | {m['kind']} | `{m['file']}` {'line' if 'line' in m else 'row'} "
        f"{m.get('line', m.get('row'))} (id {m['id']}) |\n"
        for src in exp["sources"].values() for m in src["malformed_detail"]) + """
## EXPECTED.json

- `sources.<name>`: files (path, bytes, sha256, lines or rows), input/valid record
  counts, malformed counts by kind with file and line, field names, languages.
- `totals`: overall counts.
- `exact_duplicate_groups`: members (source, id, variation) sharing one normalized text.
- `near_duplicates`: planned pairs with their Jaccard, and the highest unplanned one.
- `records`: one row per valid record: source, id, file, line/row, language,
  `chars` (length of the text as stored, decoded, no newline translation), `year`
  (books: `issued`; newspapers: year of `published`; wiki: `DateTimeOriginal`;
  letters: none), raw rights, passage key, role (base/dup/near), duplicate group
  (index into `exact_duplicate_groups`), normalized sha256.
"""


def main():
    gen = Generator(SEED)
    gen.build()
    files, where, malformed = write(gen)
    exp = expected(gen, files, where, malformed)
    (OUT / "EXPECTED.json").write_text(json.dumps(exp, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (OUT / "README.md").write_text(readme(exp), encoding="utf-8")
    t = exp["totals"]
    total_bytes = sum(len(b) for b in files.values())
    print(f"wrote {t['files']} files ({total_bytes / 1024:.0f} KiB): {t['input_records']} input records, "
          f"{t['malformed']} malformed, {t['exact_duplicate_groups']} duplicate groups, "
          f"{t['planned_near_duplicate_pairs']} near pairs; unplanned max Jaccard "
          f"{exp['near_duplicates']['unplanned_max_jaccard']}; rejected candidates {gen.rejections}")


if __name__ == "__main__":
    main()
